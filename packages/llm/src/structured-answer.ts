import { LlmError } from './errors.js';
import type { LogLevel, ResponseFormat } from './types.js';

/**
 * Checks a grammar-constrained answer that ended on its own (finish reason `stop`): it must be
 * complete JSON of the requested shape. The grammar guarantees that, so a failure here is a bug
 * in the grammar or in the generation loop: it is logged and thrown as `output-invalid` rather
 * than returned as a valid-looking answer.
 */
export function checkStructuredAnswer(text: string, format: ResponseFormat, log: (level: LogLevel, message: string) => void): void {
  if (format.type === 'text') return;
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (cause) {
    throw outputInvalid(`is not complete JSON (${cause instanceof Error ? cause.message : String(cause)})`, text, log);
  }
  if (format.type === 'json_object' && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw outputInvalid('is not a JSON object', text, log);
  }
}

function outputInvalid(problem: string, text: string, log: (level: LogLevel, message: string) => void): LlmError {
  const excerpt = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  log('error', `grammar-constrained answer ${problem}: ${JSON.stringify(excerpt)}`);
  return new LlmError(
    'output-invalid',
    `The model's answer ${problem}, although the grammar should have prevented it; this is a bug in the server, ` +
      'please report it with the request.',
    { text: excerpt },
  );
}
