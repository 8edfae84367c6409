import { describe, expect, it } from 'vitest';
import { FakeEngine, FakeLlmError } from '../test/fake-engine.js';
import { ApiError } from './errors.js';
import { ModelHost } from './model-host.js';

describe('ModelHost', () => {
  it('is missing without calling the loader when the file does not exist', async () => {
    let calls = 0;
    const host = new ModelHost({ modelPath: '/nowhere/x.gguf', load: () => { calls += 1; return Promise.resolve(new FakeEngine()); } });
    await host.start();
    expect(host.state).toEqual({ status: 'missing', path: '/nowhere/x.gguf' });
    expect(calls).toBe(0);
    expect(() => host.require()).toThrow(ApiError);
  });

  it('reports a load failure as error with its message', async () => {
    const host = new ModelHost({ modelPath: import.meta.filename, load: () => Promise.reject(new FakeLlmError('model-invalid', 'not a GGUF file')) });
    await host.start();
    expect(host.state).toMatchObject({ status: 'error', message: 'not a GGUF file' });
    expect(() => host.require()).toThrow(/failed to load \(not a GGUF file\)/);
  });

  it('loads, hands out the engine with a stable fingerprint, and disposes it once', async () => {
    const engine = new FakeEngine();
    const states: string[] = [];
    const host = new ModelHost({ modelPath: import.meta.filename, load: () => Promise.resolve(engine), onStateChange: (state) => states.push(state.status) });
    await host.start();
    expect(states).toEqual(['loading', 'loaded']);
    expect(host.require().engine).toBe(engine);
    expect(host.require().fingerprint).toBe(ModelHost.fromEngine(engine).require().fingerprint);
    await host.dispose();
    await host.dispose();
    expect(engine.disposed).toBe(true);
  });

  it('hands a model URL to the engine and reports its download while it loads', async () => {
    for (const modelPath of ['hf:user/repo:Q4_K_M', 'https://models.example/x.gguf', 'http://127.0.0.1:9/x.gguf']) {
      let finish!: () => void;
      let report!: (progress: { downloadedBytes: number; totalBytes: number }) => void;
      const states: string[] = [];
      const host = new ModelHost({
        modelPath,
        load: (_path, { onDownloadProgress }) => {
          report = onDownloadProgress;
          return new Promise((resolve) => (finish = () => resolve(new FakeEngine())));
        },
        onStateChange: (state) => states.push(state.status),
      });
      const started = host.start();
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(host.state).toEqual({ status: 'loading', path: modelPath });
      report({ downloadedBytes: 300, totalBytes: 1200 });
      expect(host.state).toEqual({ status: 'loading', path: modelPath, download: { downloadedBytes: 300, totalBytes: 1200 } });
      finish();
      await started;
      expect(host.state.status).toBe('loaded');
      // The log hears of the load's start and end, not of every downloaded slice.
      expect(states).toEqual(['loading', 'loaded']);
    }
  });

  it('disposes an engine whose load finishes after dispose was called', async () => {
    const engine = new FakeEngine();
    let finish!: () => void;
    const host = new ModelHost({ modelPath: import.meta.filename, load: () => new Promise((resolve) => (finish = () => resolve(engine))) });
    const started = host.start();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const disposed = host.dispose();
    finish();
    await Promise.all([started, disposed]);
    expect(engine.disposed).toBe(true);
  });

  it('shows a waiting loader\'s progress in the state and the 503, and stops it on dispose', async () => {
    let stopped = false;
    const host = new ModelHost({
      modelPath: 'http://gpu.lan:8000/v1',
      load: (_path, { report, signal }) => new Promise((_resolve, reject) => {
        report('waiting for the upstream engine (connect ECONNREFUSED)');
        signal.addEventListener('abort', () => { stopped = true; reject(new Error('stopped')); });
      }),
    });
    const started = host.start();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(host.state).toEqual({ status: 'loading', path: 'http://gpu.lan:8000/v1', detail: 'waiting for the upstream engine (connect ECONNREFUSED)' });
    expect(() => host.require()).toThrow(/is not ready yet: waiting for the upstream engine \(connect ECONNREFUSED\); retry/);
    await host.dispose();
    await started;
    expect(stopped).toBe(true);
  });
});
