import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * A secret key compared in constant time over SHA-256 digests, so neither the key's content nor
 * its length leaks through the timing of a comparison.
 */
export class BearerKey {
  readonly #digest: Buffer;

  constructor(key: string) {
    this.#digest = digest(key);
  }

  /** True when `candidate` is this key. */
  matches(candidate: string): boolean {
    return timingSafeEqual(digest(candidate), this.#digest);
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * The token of an `Authorization: Bearer <token>` header (what OpenAI clients send), or
 * undefined when the header is absent or of another scheme.
 */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer\s+(.+)$/i.exec(header.trim());
  return match === null ? undefined : match[1]!.trim();
}
