import type { Session } from '../access/access-gate.js';
import type { Health, ModelReport, NodeDetails } from '../api/types.js';
import { ErrorLine, Fields } from '../components/fields.js';
import { Meter } from '../components/meter.js';
import { formatBytes, formatCount, formatDuration } from '../format.js';
import { usePoll } from '../hooks/use-poll.js';

const formatSources = { gguf: "the file's own template", configured: 'configured (LLM_CHAT_TEMPLATE)', fallback: 'fallback: the file has no usable template' } as const;

function chatFormat(name: string | null | undefined, source: keyof typeof formatSources | null | undefined, hasTemplate: boolean): string {
  if (name === null || name === undefined) return hasTemplate ? 'template in the file' : '—';
  return source === null || source === undefined ? name : `${name} (${formatSources[source]})`;
}

function ModelCard(props: { readonly model: ModelReport; readonly chatFormat: string | null }) {
  const { model } = props;
  if (model.status !== 'loaded') {
    const download = model.status === 'loading' ? model.download : null;
    const detail =
      model.status === 'missing'
        ? model.hint
        : model.status === 'error'
          ? model.message
          : download === null
            ? 'The model is loading in the background.'
            : 'The model is downloading; it loads as soon as the download completes.';
    return (
      <section class="card" data-testid="model-card">
        <h2>
          Model <span class={`badge state-${model.status}`}>{download === null ? model.status : 'downloading'}</span>
        </h2>
        <Fields rows={[['path', <code>{model.path}</code>], ['detail', detail]]} />
        {download === null ? null : (
          <div data-testid="model-download">
            <Meter
              label={`downloaded ${formatBytes(download.downloaded_bytes)} of ${formatBytes(download.total_bytes)}`}
              used={Math.round((download.downloaded_bytes / Math.max(1, download.total_bytes)) * 100)}
              total={100}
              unit="%"
            />
          </div>
        )}
      </section>
    );
  }
  return (
    <section class="card" data-testid="model-card">
      <h2>
        Model <span class="badge state-loaded">loaded</span>
      </h2>
      <Fields
        rows={[
          ['id', <code>{model.id}</code>],
          ['architecture', model.architecture],
          ['quantization', model.quantization ?? 'none (unquantized)'],
          ['parameters', formatCount(model.parameter_count)],
          ['context', `${model.context_size.toLocaleString('en')} tokens per slot (trained: ${model.trained_context_length?.toLocaleString('en') ?? '—'})`],
          ['chat format', chatFormat(model.chat_format ?? props.chatFormat, model.chat_format_source, model.has_chat_template)],
          ['threads', model.threads == null ? '—' : `${model.threads}${threadsSourceLabel(model.threads_source)}`],
          ['batch size', model.batch_size == null ? '—' : `${model.batch_size.toLocaleString('en')} tokens per decode`],
          ['file', `${formatBytes(model.file_size_bytes)} · ${model.path}`],
          ['loaded at', new Date(model.loaded_at).toLocaleString()],
        ]}
      />
    </section>
  );
}

/** Node: who this node is, its model, and its slots and queue, live. */
export function NodeView(props: { readonly session: Session }) {
  const { api } = props.session;
  const health = usePoll((signal) => api.get<Health>('/health', signal), 1000);
  const details = usePoll((signal) => api.get<NodeDetails>('/api/v1/admin/node', signal), 5000);
  const node = details.value ?? props.session.node;
  const h = health.value;
  return (
    <div class="grid">
      <section class="card" data-testid="node-card">
        <h2>
          Node {h === undefined ? null : <span class={`badge status-${h.status}`}>{h.status}</span>}
        </h2>
        <Fields
          rows={[
            ['name', node.node_name],
            ['id', <code>{node.node_id}</code>],
            ['version', node.version],
            ['uptime', h === undefined ? '…' : <span data-testid="uptime">{formatDuration(h.uptime_seconds)}</span>],
            ['started', new Date(node.started_at).toLocaleString()],
            [
              'LAN sync',
              h?.sync === undefined
                ? '…'
                : h.sync.enabled
                  ? `on, port ${h.sync.port ?? '—'}, ${h.sync.authenticated_peers} of ${h.sync.peers} peer(s) authenticated`
                  : `off: ${h.sync.reason ?? 'disabled'}`,
            ],
          ]}
        />
        <ErrorLine error={health.error ?? details.error} />
      </section>
      {h === undefined ? null : <ModelCard model={h.model} chatFormat={node.model.chat_format} />}
      {h === undefined ? null : (
        <section class="card" data-testid="load-card">
          <h2>Slots and queue</h2>
          <Meter label="slots in use" used={h.slots.in_use} total={h.slots.total} testId="slots" />
          <Meter label="queue" used={h.queue.depth} total={h.queue.max} testId="queue" />
          <p class="muted">
            {h.requests_in_flight} request(s) in flight (this page's own included). Refreshed every second.
          </p>
        </section>
      )}
    </div>
  );
}

/** Why the node runs with its thread count, as the operator would say it. */
function threadsSourceLabel(source: 'configured' | 'model-size' | 'measured' | null | undefined): string {
  if (source === 'configured') return ' (LLM_THREADS)';
  if (source === 'measured') return ' (measured at load)';
  return ' (by model size)';
}
