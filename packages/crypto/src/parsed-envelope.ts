/**
 * A sealed message after validation, binary fields decoded: what both wire forms (the JSON
 * envelope of `session.ts` and the binary frame of `sealed-frame.ts`) parse into, and what a
 * session opens.
 */
export interface ParsedEnvelope {
  readonly sessionId: Buffer;
  readonly sessionIdText: string;
  readonly sequence: number;
  readonly timestamp: number;
  readonly associatedData: Buffer | undefined;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}
