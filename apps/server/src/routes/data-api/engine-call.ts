import { SyncError } from '@trosyn/sync-core';
import { ApiError } from '../../errors.js';

/**
 * Runs a data store call and turns the engine's caller-facing errors into {@link ApiError}s
 * (`invalid-argument` → 400, `not-found` → 404, `already-exists` → 409, `disposed` → 503). Anything else is a bug and
 * reaches the app's error handler as a 500.
 */
export async function engineCall<T>(call: () => Promise<T>, param: string | null = null): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof SyncError)) throw error;
    switch (error.code) {
      case 'invalid-argument':
        return Promise.reject(new ApiError('invalid-request', error.message, { param, cause: error }));
      case 'already-exists':
        return Promise.reject(new ApiError('item-exists', `An ${error.message.replace(/^an /, '')}; use PUT /api/v1/items/{id} to replace it.`, { param: 'id', cause: error }));
      case 'not-found':
        return Promise.reject(new ApiError('item-not-found', error.message, { param, cause: error }));
      case 'disposed':
        return Promise.reject(new ApiError('shutting-down', 'The node is shutting down; retry on another node or after it restarts.', { retryAfterSeconds: 1, cause: error }));
      default:
        throw error;
    }
  }
}
