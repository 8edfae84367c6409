import { ApiError } from '../errors.js';
import type { ModelInfo } from '../engine.js';

/**
 * Checks a request's `model` against the loaded model. Accepted: no model (the seed README's
 * examples send none), the model id, the id with `.gguf`, and the configured aliases
 * (`TROSYN_MODEL_ALIASES`, e.g. `gpt-4o-mini` for clients with a hard-wired default).
 * Anything else is a 404 `model_not_found`, as OpenAI answers, so a typo is not silently
 * served by another model.
 */
export function resolveModel(requested: string | undefined, info: Pick<ModelInfo, 'id'>, aliases: readonly string[]): void {
  if (requested === undefined || requested === info.id || requested === `${info.id}.gguf` || aliases.includes(requested)) return;
  throw new ApiError('model-not-found', `The model '${requested}' does not exist. This node serves '${info.id}' (see GET /v1/models).`, { param: 'model' });
}
