/**
 * GBNF text helpers: literals and character-class items in llama.cpp's grammar syntax
 * (`grammars/README.md` of llama.cpp: `"…"` literals, `[…]` classes, `\xXX` / `\uXXXX` escapes).
 */

function escapeCodePoint(codePoint: number, specials: string): string {
  const char = String.fromCodePoint(codePoint);
  if (char === '\n') return '\\n';
  if (char === '\r') return '\\r';
  if (char === '\t') return '\\t';
  if (codePoint < 0x20 || codePoint === 0x7f) return `\\x${codePoint.toString(16).padStart(2, '0')}`;
  if (specials.includes(char)) return `\\${char}`;
  return char;
}

/** A GBNF string literal matching exactly `text`. */
export function gbnfLiteral(text: string): string {
  let body = '';
  for (const char of text) body += escapeCodePoint(char.codePointAt(0) ?? 0, '"\\');
  return `"${body}"`;
}

/** One character-class item (a code point) in GBNF `[…]` syntax. */
export function gbnfClassChar(codePoint: number): string {
  return escapeCodePoint(codePoint, ']\\^-[');
}
