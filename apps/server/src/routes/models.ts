import { Hono } from 'hono';
import type { ModelInfo } from '../engine.js';
import { ApiError } from '../errors.js';
import type { EmbeddingHost } from '../embedding-host.js';
import type { ModelHost } from '../model-host.js';
import type { AppEnv } from '../request-scope.js';

/** OpenAI's `Model` object for a model this node serves (`owned_by`: this node's name). */
export function toOpenAiModel(info: Pick<ModelInfo, 'id' | 'loadedAt'>, nodeName: string): object {
  return { id: info.id, object: 'model', created: Math.floor(info.loadedAt.getTime() / 1000), owned_by: nodeName };
}

/** OpenAI's `Model` object for a model a peer serves (`owned_by`: the peer's node name). */
function toPeerModel(peer: { readonly id: string; readonly ownedBy: string }): object {
  return { id: peer.id, object: 'model', created: 0, owned_by: peer.ownedBy };
}

/**
 * `GET /v1/models`: every model reachable on the LAN, each `owned_by` the name of the node serving
 * it: the loaded model and, once loaded, the dedicated embedding model, then the models LAN peers
 * serve with `LLM_POOL`; an empty list while there is none. `GET /v1/models/{id}`: one of them
 * (aliases accepted), 404 `model_not_found` for any other id.
 */
export function modelsRoute(deps: {
  readonly model: ModelHost;
  readonly modelAliases: readonly string[];
  readonly embeddings?: EmbeddingHost;
  /** This node's name (`LAN_SYNC_NODE_NAME`): `owned_by` of its own models. */
  readonly nodeName: string;
}): Hono<AppEnv> {
  const own = (info: Pick<ModelInfo, 'id' | 'loadedAt'>): object => toOpenAiModel(info, deps.nodeName);
  const loadedInfo = (): ModelInfo | undefined => (deps.model.state.status === 'loaded' ? deps.model.require().info : undefined);
  const embeddingModel = () => {
    const dedicated = deps.embeddings?.dedicatedModel;
    return dedicated === undefined ? undefined : { id: dedicated.info.id, loadedAt: dedicated.loadedAt };
  };
  return new Hono<AppEnv>()
    .get('/v1/models', (c) => {
      const info = loadedInfo();
      const embedding = embeddingModel();
      const data: object[] = [...(info === undefined ? [] : [own(info)]), ...(embedding === undefined || embedding.id === info?.id ? [] : [own(embedding)])];
      // Models of peers (pooled inference, LLM_POOL): reachable through this node.
      const listed = new Set([info?.id, embedding?.id]);
      for (const peer of deps.model.peerModels()) {
        if (listed.has(peer.id)) continue;
        listed.add(peer.id);
        data.push(toPeerModel(peer));
      }
      return c.json({ object: 'list', data });
    })
    .get('/v1/models/:id{.+}', (c) => {
      const id = c.req.param('id');
      const info = loadedInfo();
      if (info !== undefined && (id === info.id || deps.modelAliases.includes(id))) return c.json(own(info));
      const embedding = embeddingModel();
      if (embedding !== undefined && id === embedding.id) return c.json(own(embedding));
      const peer = deps.model.peerModels().find((candidate) => candidate.id === id);
      if (peer !== undefined) return c.json(toPeerModel(peer));
      throw new ApiError('model-not-found', `The model '${id}' does not exist.${info === undefined ? ' No model is loaded on this node (see GET /health).' : ` This node serves '${info.id}'.`}`, { param: 'model' });
    });
}
