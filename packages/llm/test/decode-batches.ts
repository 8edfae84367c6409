import { getLlama, LlamaModel, type LlamaContext } from 'node-llama-cpp';
import { testModel } from './test-models.js';

/** The part of node-llama-cpp's native context that starts one batch decode (internal to node-llama-cpp). */
interface NativeBatch {
  initBatch(size: number): void;
  addToBatch(sequenceId: number, firstTokenPosition: number, tokens: Uint32Array, logitIndexes: Uint32Array): Uint32Array;
}

/**
 * Records the token count of every batch `context` decodes into `sizes` (an own property over
 * node-llama-cpp's native method) and returns `sizes`.
 */
export function recordDecodeBatches(context: LlamaContext, sizes: number[] = []): number[] {
  const native = (context as unknown as { _ctx: NativeBatch })._ctx;
  const initBatch = native.initBatch.bind(native);
  Object.defineProperty(native, 'initBatch', {
    value: (size: number) => {
      sizes.push(size);
      initBatch(size);
    },
  });
  return sizes;
}

/**
 * Records, for every batch `context` decodes, the sequence ids in the order node-llama-cpp adds
 * their tokens to it (one entry per queued item), into `batches`, and returns `batches`.
 */
export function recordBatchSequences(context: LlamaContext, batches: number[][] = []): number[][] {
  const native = (context as unknown as { _ctx: NativeBatch })._ctx;
  const initBatch = native.initBatch.bind(native);
  const addToBatch = native.addToBatch.bind(native);
  Object.defineProperty(native, 'initBatch', {
    value: (size: number) => {
      batches.push([]);
      initBatch(size);
    },
  });
  Object.defineProperty(native, 'addToBatch', {
    value: (...args: Parameters<NativeBatch['addToBatch']>) => {
      batches.at(-1)?.push(args[0]);
      return addToBatch(...args);
    },
  });
  return batches;
}

/**
 * Records the decode batches of every context created while `run` loads something (an `LlmEngine`
 * keeps its context private): returns what `run` returned and the sizes, which keep filling.
 */
export async function withDecodeBatches<T>(run: () => Promise<T>): Promise<{ result: T; sizes: number[] }> {
  const sizes: number[] = [];
  const createContext = LlamaModel.prototype.createContext;
  LlamaModel.prototype.createContext = async function (this: LlamaModel, ...options) {
    const context = await createContext.apply(this, options);
    recordDecodeBatches(context, sizes);
    return context;
  };
  try {
    return { result: await run(), sizes };
  } finally {
    LlamaModel.prototype.createContext = createContext;
  }
}

/**
 * Runs `run` on a context of `sequences` sequences (256 tokens each, 1 thread) over the synthetic
 * Gemma 3 270M, straight on node-llama-cpp (the patched dispatcher), and disposes of it all after.
 */
export async function withGemma270mContext<T>(sequences: number, run: (context: LlamaContext) => Promise<T>): Promise<T> {
  const llama = await getLlama({ gpu: false, build: 'never', progressLogs: false });
  const model = await llama.loadModel({ modelPath: testModel('synthetic-gemma3-270m-q4_k_m.gguf') });
  const context = await model.createContext({ sequences, contextSize: sequences * 256, threads: 1 });
  try {
    return await run(context);
  } finally {
    await context.dispose();
    await model.dispose();
    await llama.dispose();
  }
}
