import { LlamaModel, type LlamaContext } from 'node-llama-cpp';

/** The part of node-llama-cpp's native context that starts one batch decode (internal to node-llama-cpp). */
interface NativeBatch {
  initBatch(size: number): void;
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
