/**
 * Every failure this package throws, as a string-literal code.
 *
 * - `invalid-config`: a {@link DiscoveryConfig} value is out of range; the message names it.
 * - `socket-failed`: the mDNS socket could not be opened or bound (port in use, no
 *   permission, no such interface address).
 * - `disposed`: the instance was disposed and cannot be started again.
 */
export type DiscoveryErrorCode = 'invalid-config' | 'socket-failed' | 'disposed';

/** The one error class of `@trosyn/discovery`; branch on {@link DiscoveryError.code}. */
export class DiscoveryError extends Error {
  override readonly name = 'DiscoveryError';
  /** What went wrong, stable across versions. */
  readonly code: DiscoveryErrorCode;

  constructor(code: DiscoveryErrorCode, message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
