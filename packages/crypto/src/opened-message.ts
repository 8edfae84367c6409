/** What `Session.open` returns once an envelope authenticated. */
export interface OpenedMessage {
  readonly plaintext: Buffer;
  /** The associated data sealed with it, if any: authenticated, so check it against what you expect. */
  readonly associatedData: Buffer | undefined;
  readonly sequence: number;
  readonly timestamp: number;
}
