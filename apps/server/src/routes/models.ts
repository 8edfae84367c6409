import { Hono } from 'hono';
import type { ModelInfo } from '../engine.js';
import { ApiError } from '../errors.js';
import type { EmbeddingHost } from '../embedding-host.js';
import type { ModelHost } from '../model-host.js';
import type { AppEnv } from '../request-scope.js';

/** OpenAI's `Model` object for the loaded model. */
export function toOpenAiModel(info: Pick<ModelInfo, 'id' | 'loadedAt'>): object {
  return { id: info.id, object: 'model', created: Math.floor(info.loadedAt.getTime() / 1000), owned_by: 'trosyn' };
}

/**
 * `GET /v1/models` (the loaded model and, once loaded, the dedicated embedding model; an empty
 * list while there is none) and `GET /v1/models/{id}` (404 `model_not_found` for any other id;
 * aliases are accepted).
 */
export function modelsRoute(deps: { readonly model: ModelHost; readonly modelAliases: readonly string[]; readonly embeddings?: EmbeddingHost }): Hono<AppEnv> {
  const loadedInfo = (): ModelInfo | undefined => (deps.model.state.status === 'loaded' ? deps.model.require().info : undefined);
  const embeddingModel = () => {
    const dedicated = deps.embeddings?.dedicatedModel;
    return dedicated === undefined ? undefined : { id: dedicated.info.id, loadedAt: dedicated.loadedAt };
  };
  return new Hono<AppEnv>()
    .get('/v1/models', (c) => {
      const info = loadedInfo();
      const embedding = embeddingModel();
      const data = [...(info === undefined ? [] : [toOpenAiModel(info)]), ...(embedding === undefined || embedding.id === info?.id ? [] : [toOpenAiModel(embedding)])];
      return c.json({ object: 'list', data });
    })
    .get('/v1/models/:id{.+}', (c) => {
      const id = c.req.param('id');
      const info = loadedInfo();
      if (info !== undefined && (id === info.id || deps.modelAliases.includes(id))) return c.json(toOpenAiModel(info));
      const embedding = embeddingModel();
      if (embedding !== undefined && id === embedding.id) return c.json(toOpenAiModel(embedding));
      throw new ApiError('model-not-found', `The model '${id}' does not exist.${info === undefined ? ' No model is loaded on this node (see GET /health).' : ` This node serves '${info.id}'.`}`, { param: 'model' });
    });
}
