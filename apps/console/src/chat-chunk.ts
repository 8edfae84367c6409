/** What one `data:` line of a streamed chat completion means to the playground. */
export type ChatStreamPart =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'finish'; readonly reason: string }
  | { readonly type: 'usage'; readonly promptTokens: number; readonly completionTokens: number }
  | { readonly type: 'error'; readonly message: string }
  | { readonly type: 'done' };

interface ChunkJson {
  readonly choices?: readonly { readonly delta?: { readonly content?: string | null }; readonly finish_reason?: string | null }[];
  readonly usage?: { readonly prompt_tokens: number; readonly completion_tokens: number } | null;
  readonly error?: { readonly message?: string };
}

/**
 * Reads one event of `POST /v1/chat/completions` with `stream: true` (OpenAI's
 * `chat.completion.chunk` objects, an `error` object after the status, then `[DONE]`).
 */
export function readChatStreamData(data: string): ChatStreamPart[] {
  if (data === '[DONE]') return [{ type: 'done' }];
  const chunk = JSON.parse(data) as ChunkJson;
  if (chunk.error !== undefined) return [{ type: 'error', message: chunk.error.message ?? 'the stream failed' }];
  const parts: ChatStreamPart[] = [];
  for (const choice of chunk.choices ?? []) {
    const text = choice.delta?.content;
    if (typeof text === 'string' && text !== '') parts.push({ type: 'text', text });
    if (typeof choice.finish_reason === 'string') parts.push({ type: 'finish', reason: choice.finish_reason });
  }
  if (chunk.usage !== undefined && chunk.usage !== null) {
    parts.push({ type: 'usage', promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens });
  }
  return parts;
}
