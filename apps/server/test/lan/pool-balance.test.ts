import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testModelsDir } from '../e2e/server-process.js';
import { parseExposition, sampleValue } from '../promtool.js';
import { LanCluster } from './lan-cluster.js';
import { SYNC_PORT, type LanNode } from './lan-node.js';
import { until } from './until.js';

// LLM_POOL=balance between two real nodes serving the same model, one slot each: a conversation
// has one owner among them, whichever node the client asks, and its later turns find their prompt
// in the owner's cache; with the owner's slot busy and a request queued, it goes to the other.

const SUBNET = 18;
// Slow enough on this machine for a generation to keep a slot busy (see pooled-inference.test.ts).
const MODEL = 'synthetic-gemma3-270m-q4_k_m';
const SERVED_BY = 'x-trosyn-served-by';
const NO_EOS = { '1': -100 };
const ADMIN_KEY = 'balance-admin-key';

interface Health {
  model: { status: string };
  slots: { in_use: number };
  queue: { depth: number };
}

interface ChatCompletion {
  choices: { message: { content: string | null } }[];
  usage: { prompt_tokens: number; prompt_tokens_details: { cached_tokens: number } };
}

type Message = { role: string; content: string };

describe('LLM_POOL=balance between real nodes', { timeout: 240_000 }, () => {
  let cluster: LanCluster;
  let h1: LanNode;
  let h2: LanNode;

  const health = (node: LanNode): Promise<Health> => node.apiOk<Health>('GET', '/health');
  const post = (node: LanNode, json: unknown, timeoutMs = 60_000) =>
    node.config.agent.fetch(`${node.apiUrl}/v1/chat/completions`, { method: 'POST', json, timeoutMs });
  const chat = async (node: LanNode, messages: readonly Message[]): Promise<{ servedBy: string | undefined; body: ChatCompletion }> => {
    const response = await post(node, { model: MODEL, messages, max_tokens: 6, temperature: 0 });
    expect(response.status, response.body).toBe(200);
    return { servedBy: response.headers[SERVED_BY], body: JSON.parse(response.body) as ChatCompletion };
  };
  /** The free slots `node` last heard `peer` advertise (its /metrics), undefined while it has no current advertisement. */
  const peerSlotsFree = async (node: LanNode, peer: string): Promise<number | undefined> => {
    const response = await node.config.agent.fetch(`${node.apiUrl}/metrics`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    return sampleValue(parseExposition(response.body), 'trosyn_pool_peer_slots_free', { peer, model: MODEL });
  };
  const conversation = (index: number): Message[] => [
    { role: 'system', content: 'You are a helpful office assistant who answers in one short sentence.' },
    { role: 'user', content: `Conversation ${index}: what should I write in the weekly report about the printer?` },
  ];

  beforeAll(async () => {
    const model = resolve(testModelsDir(), `${MODEL}.gguf`);
    const common = { LAN_SYNC_MDNS: 'false', LLM_THREADS: '1', LLM_POOL: 'balance', LLM_MODEL_PATH: model, LLM_PARALLEL: '1', TROSYN_ADMIN_KEY: ADMIN_KEY };
    cluster = await LanCluster.create({
      nodes: [
        // Fixed node ids: which node owns which conversation is then the same on every run.
        { env: { ...common, LAN_SYNC_NODE_ID: 'balance-node-1', LAN_SYNC_PEERS: '' } },
        { env: { ...common, LAN_SYNC_NODE_ID: 'balance-node-2', LAN_SYNC_PEERS: `10.214.${SUBNET}.1:${SYNC_PORT}` } },
      ],
      subnet: SUBNET,
    });
    [h1, h2] = cluster.nodes as [LanNode, LanNode];
    await until('both models to load', async () => (await health(h1)).model.status === 'loaded' && (await health(h2)).model.status === 'loaded', 90_000);
    await until('each node to know the other', () => h1.logsWhere((line) => line.event === 'pool-peer').length > 0 && h2.logsWhere((line) => line.event === 'pool-peer').length > 0, 30_000);
    // Advertisements go every second: two rounds, and each knows the other's model is loaded.
    await new Promise((done) => setTimeout(done, 2500));
  }, 150_000);

  afterAll(async () => {
    await cluster?.dispose();
  });

  const owners = new Map<number, string>();

  it('gives each conversation one owner, whichever node is asked, and spreads conversations over both', async () => {
    for (let index = 0; index < 8; index += 1) {
      const viaH1 = await chat(h1, conversation(index));
      const viaH2 = await chat(h2, conversation(index));
      expect(viaH1.servedBy).toBeDefined();
      expect(viaH2.servedBy, `conversation ${index}`).toBe(viaH1.servedBy);
      owners.set(index, viaH1.servedBy!);
    }
    expect(new Set(owners.values())).toEqual(new Set(['node-1', 'node-2']));
    const forwarded = [...h1.logsWhere((line) => line.event === 'pool-forward'), ...h2.logsWhere((line) => line.event === 'pool-forward')];
    expect(forwarded.length).toBeGreaterThan(0);
  });

  it('keeps a conversation on its owner turn after turn, where its prompt is cached', async () => {
    for (const [index, owner] of owners) {
      const first = conversation(index);
      const answer = await chat(h1, first);
      expect(answer.servedBy).toBe(owner);
      const next = [...first, { role: 'assistant', content: answer.body.choices[0]!.message.content ?? '' }, { role: 'user', content: 'And in one word?' }];
      // Asked through the other node this time: it still goes to the owner.
      const turn = await chat(h2, next);
      expect(turn.servedBy, `conversation ${index}`).toBe(owner);
      // The owner's one slot still holds the first turn: the shared start is not evaluated again.
      expect(turn.body.usage.prompt_tokens_details.cached_tokens).toBeGreaterThan(answer.body.usage.prompt_tokens / 2);
    }
  });

  it('sends a conversation h1 owns to h2 while h1\'s slot is busy and its queue is not empty', async () => {
    const ownedByH1 = [...owners].filter(([, owner]) => owner === 'node-1').map(([index]) => index);
    expect(ownedByH1.length).toBeGreaterThanOrEqual(1);
    const long = { model: MODEL, messages: conversation(ownedByH1[0]!), max_tokens: 1900, logit_bias: NO_EOS, stream: true };
    const first = post(h1, long, 20_000).catch(() => undefined);
    await until('h1\'s slot to be busy', async () => (await health(h1)).slots.in_use === 1, 10_000);
    const second = post(h1, long, 20_000).catch(() => undefined);
    await until('a request in h1\'s queue', async () => (await health(h1)).queue.depth === 1, 10_000);
    // h2's free slot as h1 knows it (advertisements go every second; a loaded machine can delay one).
    await until('h1 to see h2\'s free slot', async () => ((await peerSlotsFree(h1, 'balance-node-2')) ?? 0) > 0, 10_000);
    const before = h1.logsWhere((line) => line.event === 'pool-forward' && line['local'] === 'busy').length;
    const moved = await chat(h1, conversation(ownedByH1.at(-1)!));
    expect(moved.servedBy).toBe('node-2');
    expect(h1.logsWhere((line) => line.event === 'pool-forward' && line['local'] === 'busy').length).toBe(before + 1);
    await Promise.all([first, second]);
  });
});
