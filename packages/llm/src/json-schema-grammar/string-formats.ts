/**
 * GBNF (inside a JSON string's quotes) for the `format` values OpenAI's structured outputs
 * accept and this server enforces. Each writes a subset of what the format allows, all of it
 * valid for Ajv's `ajv-formats` (full mode): dates never past the 28th of February, times
 * always with a time zone, lowercase UUIDs.
 */
const HOUR = '([01] [0-9] | "2" [0-3])';
const MINUTE = '[0-5] [0-9]';
const DATE =
  '[0-9]{4} "-" (("0" [13578] | "1" [02]) "-" ("0" [1-9] | [12] [0-9] | "3" [01]) | ("0" [469] | "11") "-" ("0" [1-9] | [12] [0-9] | "30") | "02" "-" ("0" [1-9] | "1" [0-9] | "2" [0-8]))';
const TIME = `${HOUR} ":" ${MINUTE} ":" ${MINUTE} ("." [0-9]{1,6})? ("Z" | [+-] ${HOUR} ":" ${MINUTE})`;
const EMAIL_LOCAL = "[a-zA-Z0-9!#$%&'*+=?^_`{|}~-]";
const LABEL = '[a-zA-Z0-9] ([a-zA-Z0-9-]{0,61} [a-zA-Z0-9])?';

/** GBNF per supported `format`. */
export const stringFormats: Readonly<Record<string, string>> = Object.freeze({
  date: DATE,
  time: TIME,
  'date-time': `${DATE} "T" ${TIME}`,
  uuid: '[0-9a-f]{8} "-" [0-9a-f]{4} "-" [0-9a-f]{4} "-" [0-9a-f]{4} "-" [0-9a-f]{12}',
  // Bounded (64-character parts, at most 4 labels): a model that rambles still ends the address.
  email: `${EMAIL_LOCAL}{1,32} ("." ${EMAIL_LOCAL}{1,32}){0,2} "@" (${LABEL} "."){1,3} ${LABEL}`,
  ipv4: '(("25" [0-5] | "2" [0-4] [0-9] | "1" [0-9] [0-9] | [1-9]? [0-9]) "."){3} ("25" [0-5] | "2" [0-4] [0-9] | "1" [0-9] [0-9] | [1-9]? [0-9])',
});
