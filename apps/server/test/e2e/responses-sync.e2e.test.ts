import type OpenAI from 'openai';
import { NotFoundError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertMatchesSpec, assertResponseEventMatchesSpec, loadOpenAiSpec } from '../openai-spec.js';
import { eventually, startServerProcess, syncPortOf, type ServerProcess } from './server-process.js';
import { openAiClientOf, storiesModelEnv } from './stories-model.js';

// Two office nodes as real server processes on 127.0.0.1, syncing over LAN sync (static peer, no
// mDNS): a conversation started on one continues on the other with previous_response_id.

const MODEL = 'stories260K-chat';

let a: ServerProcess;
let b: ServerProcess;
let clientA: OpenAI;
let clientB: OpenAI;

function nodeEnv(name: string): Record<string, string> {
  return {
    ...storiesModelEnv({ contextSize: 1024 }),
    LAN_SYNC_ENABLED: 'true',
    LAN_SYNC_MDNS: 'false',
    LAN_SYNC_HOST: '127.0.0.1',
    LAN_SYNC_PORT: '0',
    LAN_SYNC_SHARED_SECRET: 'responses sync test secret, long enough',
    LAN_SYNC_NODE_NAME: name,
  };
}

const retrieved = (client: OpenAI, id: string) => client.responses.retrieve(id).catch((error: unknown) => (error instanceof NotFoundError ? undefined : Promise.reject(error)));

beforeAll(async () => {
  loadOpenAiSpec();
  b = await startServerProcess({ env: nodeEnv('B'), waitForModel: true });
  a = await startServerProcess({ env: { ...nodeEnv('A'), LAN_SYNC_PEERS: `127.0.0.1:${syncPortOf(b)}` }, waitForModel: true });
  clientA = openAiClientOf(a, { timeoutMs: 30_000 });
  clientB = openAiClientOf(b, { timeoutMs: 30_000 });
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

describe('a Responses conversation across two syncing nodes', () => {
  it('continues on node B a conversation started on node A, and back, and deletes it everywhere', async () => {
    const first = await clientA.responses.create({ model: MODEL, input: 'Tell me a story about a dog.', max_output_tokens: 16, temperature: 0 });
    assertMatchesSpec('Response', first);

    const onB = await eventually('the response to reach node B', () => retrieved(clientB, first.id));
    expect(onB.output).toEqual(first.output);
    expect(onB.usage).toEqual(first.usage);

    // Streamed on B: the stored conversation of A's response is part of B's prompt.
    const followUp = { model: MODEL, input: 'What happened next?', max_output_tokens: 16, temperature: 0 };
    const stream = await clientB.responses.create({ ...followUp, previous_response_id: first.id, stream: true });
    let second: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      assertResponseEventMatchesSpec(event);
      if (event.type === 'response.completed' || event.type === 'response.incomplete') second = event.response;
    }
    expect(second!.previous_response_id).toBe(first.id);
    const alone = await clientB.responses.create({ ...followUp, store: false });
    expect(second!.usage!.input_tokens).toBeGreaterThan(alone.usage!.input_tokens);

    // Back on A: a chain of two responses written on two nodes.
    await eventually('B\'s response to reach node A', () => retrieved(clientA, second!.id));
    const third = await clientA.responses.create({ ...followUp, input: 'And then?', previous_response_id: second!.id });
    assertMatchesSpec('Response', third);
    expect(third.usage!.input_tokens).toBeGreaterThan(second!.usage!.input_tokens);

    // A delete on B is a tombstone that replicates: A no longer has the response either.
    await clientB.responses.delete(first.id);
    await eventually('the delete to reach node A', async () => ((await retrieved(clientA, first.id)) === undefined ? true : undefined));
  });
});
