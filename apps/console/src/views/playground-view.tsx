import { useRef, useState } from 'preact/hooks';
import type { Session } from '../access/access-gate.js';
import { readChatStreamData } from '../chat-chunk.js';
import { ErrorLine } from '../components/fields.js';
import { usePoll } from '../hooks/use-poll.js';

interface Turn {
  readonly role: 'user' | 'assistant';
  readonly content: string;
}

interface Stats {
  readonly promptTokens?: number;
  readonly completionTokens?: number;
  readonly finishReason?: string;
  readonly firstTokenMs?: number;
  readonly totalMs?: number;
}

/** Playground: a streamed chat with the node's model, through the node's own `/v1/chat/completions`. */
export function PlaygroundView(props: { readonly session: Session }) {
  const { api } = props.session;
  const models = usePoll((signal) => api.get<{ data: { id: string }[] }>('/v1/models', signal), 10_000);
  const [model, setModel] = useState('');
  const [system, setSystem] = useState('You are a helpful assistant.');
  const [temperature, setTemperature] = useState(0.7);
  const [maxTokens, setMaxTokens] = useState(128);
  const [input, setInput] = useState('');
  const [turns, setTurns] = useState<readonly Turn[]>([]);
  const [reply, setReply] = useState<string | undefined>(undefined);
  const [stats, setStats] = useState<Stats>({});
  const [error, setError] = useState<string | undefined>(undefined);
  const running = useRef<AbortController | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const send = async (): Promise<void> => {
    const text = input.trim();
    if (text === '' || busy) return;
    const history: Turn[] = [...turns, { role: 'user', content: text }];
    setTurns(history);
    setInput('');
    setReply('');
    setError(undefined);
    setStats({});
    setBusy(true);
    const controller = new AbortController();
    running.current = controller;
    const started = performance.now();
    let content = '';
    let current: Stats = {};
    try {
      const body = {
        ...(model === '' ? {} : { model }),
        messages: [...(system.trim() === '' ? [] : [{ role: 'system', content: system }]), ...history],
        temperature,
        max_tokens: maxTokens,
        stream: true,
        stream_options: { include_usage: true },
      };
      for await (const event of api.events('/v1/chat/completions', { body, signal: controller.signal })) {
        for (const part of readChatStreamData(event.data)) {
          if (part.type === 'text') {
            if (current.firstTokenMs === undefined) current = { ...current, firstTokenMs: performance.now() - started };
            content += part.text;
            setReply(content);
          } else if (part.type === 'finish') current = { ...current, finishReason: part.reason };
          else if (part.type === 'usage') current = { ...current, promptTokens: part.promptTokens, completionTokens: part.completionTokens };
          else if (part.type === 'error') setError(part.message);
        }
        setStats(current);
      }
    } catch (caught) {
      if (!controller.signal.aborted) setError(caught instanceof Error ? caught.message : String(caught));
      else current = { ...current, finishReason: 'stopped' };
    } finally {
      current = { ...current, totalMs: performance.now() - started };
      setStats(current);
      setTurns([...history, { role: 'assistant', content }]);
      setReply(undefined);
      setBusy(false);
      running.current = undefined;
    }
  };

  const decodeSeconds = stats.totalMs !== undefined && stats.firstTokenMs !== undefined ? (stats.totalMs - stats.firstTokenMs) / 1000 : undefined;
  return (
    <div class="split playground">
      <section class="card">
        <h2>Settings</h2>
        <label class="stack">
          model
          <select value={model} onChange={(event) => setModel(event.currentTarget.value)}>
            <option value="">the node's default</option>
            {(models.value?.data ?? []).map((entry) => (
              <option key={entry.id} value={entry.id}>
                {entry.id}
              </option>
            ))}
          </select>
        </label>
        <label class="stack">
          system prompt
          <textarea rows={4} value={system} onInput={(event) => setSystem(event.currentTarget.value)} data-testid="system-prompt" />
        </label>
        <label class="stack">
          temperature {temperature.toFixed(2)}
          <input type="range" min={0} max={2} step={0.05} value={temperature} onInput={(event) => setTemperature(Number(event.currentTarget.value))} data-testid="temperature" />
        </label>
        <label class="stack">
          max tokens
          <input type="number" min={1} max={32768} value={maxTokens} onInput={(event) => setMaxTokens(Math.max(1, Number(event.currentTarget.value) || 1))} data-testid="max-tokens" />
        </label>
        <button class="secondary" onClick={() => (setTurns([]), setStats({}), setError(undefined))} disabled={busy}>
          New conversation
        </button>
        <ErrorLine error={models.error} />
      </section>
      <section class="card">
        <h2>Chat</h2>
        <ol class="chat" data-testid="chat">
          {turns.map((turn, index) => (
            <li key={index} class={`turn ${turn.role}`} data-testid={`turn-${turn.role}`}>
              {turn.content}
            </li>
          ))}
          {reply === undefined ? null : (
            <li class="turn assistant streaming" data-testid="streaming-reply">
              {reply}
              <span class="cursor">▍</span>
            </li>
          )}
        </ol>
        <ErrorLine error={error} />
        <p class="muted small" data-testid="chat-stats">
          {stats.completionTokens === undefined ? null : `${stats.promptTokens} prompt + ${stats.completionTokens} completion tokens`}
          {stats.firstTokenMs === undefined ? null : ` · first token ${stats.firstTokenMs.toFixed(0)} ms`}
          {decodeSeconds !== undefined && decodeSeconds > 0 && stats.completionTokens !== undefined
            ? ` · ${(stats.completionTokens / decodeSeconds).toFixed(1)} tokens/s`
            : null}
          {stats.finishReason === undefined ? null : ` · finish: ${stats.finishReason}`}
        </p>
        <form
          class="composer"
          onSubmit={(event) => {
            event.preventDefault();
            void send();
          }}
        >
          <textarea
            rows={3}
            placeholder="Message (Enter to send, Shift+Enter for a new line)"
            value={input}
            onInput={(event) => setInput(event.currentTarget.value)}
            onKeyDown={(event) => {
              if (event.key === 'Enter' && !event.shiftKey) {
                event.preventDefault();
                void send();
              }
            }}
            data-testid="chat-input"
          />
          {busy ? (
            <button type="button" onClick={() => running.current?.abort()} data-testid="chat-stop">
              Stop
            </button>
          ) : (
            <button type="submit" data-testid="chat-send">
              Send
            </button>
          )}
        </form>
      </section>
    </div>
  );
}
