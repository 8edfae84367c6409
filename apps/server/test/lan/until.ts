/**
 * Polls `probe` every 100 ms until it holds; fails naming `what` after `timeoutMs`. For states
 * a namespace node reaches in its own time (a model loaded, a peer known, a slot busy).
 */
export async function until(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}
