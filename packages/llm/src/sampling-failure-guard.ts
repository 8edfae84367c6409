import type { LlamaContext } from 'node-llama-cpp';

/** The text node-llama-cpp's generation loop throws when the sampler returned no token (-1). */
const NO_TOKEN_MESSAGE = 'Failed to sample next token';

/** What a sampling failure was, as llama.cpp reported it. */
export interface SamplingFailure {
  /** llama.cpp's own message, e.g. `Failed to accept token in sampler: Unexpected empty grammar stack …`. */
  readonly message: string;
  /** Why it happens, for the error the request receives. */
  readonly explanation: string;
}

/** The part of node-llama-cpp's native context this guard wraps (internal to node-llama-cpp). */
interface NativeSampling {
  sampleToken(...args: unknown[]): Promise<unknown>;
}

/**
 * Keeps a failing sampling step from taking the process down.
 *
 * Why: node-llama-cpp samples inside its batch dispatcher (`LlamaContext.dispatchPendingBatch`),
 * which runs detached (`void withLock(…)`). When the native `sampleToken` rejects — llama.cpp's
 * grammar refuses the token the sampler chose, which happens when a model's logits are NaN: every
 * comparison fails, greedy keeps candidate 0 (`<pad>`) although the grammar set it to -inf — the
 * rejection leaves the dispatcher as an unhandled rejection (Node exits) and the decode waiting
 * for it never settles (the request hangs).
 *
 * The guard turns that rejection into node-llama-cpp's own "no token" answer (-1). Its generation
 * loop, which awaits the decode, then throws `Failed to sample next token` to the caller: the
 * request gets an error, the sequence and sampler are released, the process lives. The native
 * message is kept so {@link SamplingFailureGuard.explain} can name the real cause.
 */
export class SamplingFailureGuard {
  #last: SamplingFailure | undefined;

  private constructor(private readonly onFailure: (failure: SamplingFailure) => void) {}

  /**
   * Wraps `context`'s native sampling. Returns `undefined` when node-llama-cpp's internals have
   * another shape (a version this guard does not know); the regression test on a NaN model then fails.
   */
  static install(context: LlamaContext, onFailure: (failure: SamplingFailure) => void): SamplingFailureGuard | undefined {
    const native = (context as unknown as { _ctx?: Partial<NativeSampling> })._ctx;
    const sampleToken = native?.sampleToken;
    if (native === undefined || typeof sampleToken !== 'function') return undefined;
    const guard = new SamplingFailureGuard(onFailure);
    const original = sampleToken.bind(native);
    // The native method is a read-only prototype property: shadow it on the instance.
    Object.defineProperty(native, 'sampleToken', {
      configurable: true,
      value: (...args: unknown[]): Promise<unknown> =>
        original(...args).catch((error: unknown) => {
          guard.#record(error);
          // With metadata requested (more than 2 arguments) node-llama-cpp expects [token, …].
          return args.length > 2 ? [-1] : -1;
        }),
    });
    return guard;
  }

  /**
   * The sampling failure behind `error`, when `error` is node-llama-cpp's "no token" error and a
   * failure was recorded. With parallel slots the recorded failure is the context's latest one.
   */
  explain(error: unknown): SamplingFailure | undefined {
    if (!(error instanceof Error) || error.message !== NO_TOKEN_MESSAGE) return undefined;
    return this.#last;
  }

  #record(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    const failure: SamplingFailure = {
      message,
      explanation: /grammar/i.test(message)
        ? 'the sampler chose a token the grammar does not allow; this happens when the model outputs NaN logits ' +
          '(a broken or untrained model, or a CPU kernel that overflows on it)'
        : 'llama.cpp could not sample a token',
    };
    this.#last = failure;
    this.onFailure(failure);
  }
}
