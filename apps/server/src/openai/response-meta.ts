import { randomBytes } from 'node:crypto';

/** The fields every response and chunk of one request shares. */
export interface ResponseMeta {
  readonly id: string;
  /** Unix seconds. */
  readonly created: number;
  readonly model: string;
  readonly systemFingerprint: string;
}

/**
 * Creates the shared fields of one response: an id with OpenAI's prefix (`chatcmpl-` for chat,
 * `cmpl-` for text completions) and 24 random base62-ish characters, and the creation time.
 */
export function createResponseMeta(prefix: 'chatcmpl' | 'cmpl', model: string, systemFingerprint: string, now = Date.now()): ResponseMeta {
  const random = randomBytes(18).toString('base64url').replace(/[-_]/g, 'x');
  return { id: `${prefix}-${random}`, created: Math.floor(now / 1000), model, systemFingerprint };
}
