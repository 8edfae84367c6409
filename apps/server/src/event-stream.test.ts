import { createServer, request, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { EVENT_STREAM_HEADERS, writeEventsPromptly } from './event-stream.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

interface WriteObservation {
  /** Whether `write` accepted the chunk. */
  readonly accepted: boolean;
  /** The socket's cork count right after `write` returned, before any tick ran. */
  readonly corkedAfterWrite: number;
  /** What the client received. */
  readonly body: string;
}

/** One event written by a real HTTP server on 127.0.0.1, optionally through writeEventsPromptly. */
async function writeOneEvent(prompt: boolean): Promise<WriteObservation> {
  let observed: Omit<WriteObservation, 'body'> | undefined;
  const server = createServer((_request, response: ServerResponse) => {
    if (prompt) writeEventsPromptly(response);
    response.writeHead(200, EVENT_STREAM_HEADERS);
    const accepted = response.write('event: ready\ndata: {}\n\n');
    observed = { accepted, corkedAfterWrite: response.socket?.writableCorked ?? -1 };
    response.end();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  const body = await new Promise<string>((resolve, reject) => {
    request({ host: '127.0.0.1', port: address.port, path: '/' }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve(text));
    })
      .on('error', reject)
      .end();
  });
  return { ...observed!, body };
}

describe('writeEventsPromptly', () => {
  it('sends each write to the socket at once instead of in the next tick', async () => {
    // Node's own behaviour, which the helper exists for: the chunk waits, corked, for a tick.
    expect(await writeOneEvent(false)).toMatchObject({ accepted: true, corkedAfterWrite: 1 });
    expect(await writeOneEvent(true)).toEqual({ accepted: true, corkedAfterWrite: 0, body: 'event: ready\ndata: {}\n\n' });
  });

  it('does nothing without a Node response', () => {
    expect(() => writeEventsPromptly(undefined)).not.toThrow();
  });
});
