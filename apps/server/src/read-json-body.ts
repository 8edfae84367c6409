import type { Context } from 'hono';
import { ApiError } from './errors.js';

/**
 * Reads the request body as a JSON object, whatever the `Content-Type` (curl users forget it).
 * Malformed JSON or a non-object body is a 400 `invalid_json`.
 */
export async function readJsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ApiError('invalid-json', `We could not parse the JSON body of your request (${reason}). Send a JSON object, with 'Content-Type: application/json'.`, { cause: error });
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ApiError('invalid-json', 'The request body must be a JSON object.');
  }
  return body;
}
