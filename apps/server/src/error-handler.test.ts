import { describe, expect, it } from 'vitest';
import { FakeLlmError } from '../test/fake-engine.js';
import { toErrorResponse } from './error-handler.js';
import { ApiError } from './errors.js';

describe('toErrorResponse', () => {
  it.each([
    ['queue-full', 503, 'queue_full'],
    ['context-overflow', 400, 'context_length_exceeded'],
    ['aborted', 503, 'request_aborted'],
    ['disposed', 503, 'shutting_down'],
    ['invalid-request', 400, 'invalid_value'],
    ['model-not-found', 503, 'model_not_loaded'],
    ['model-invalid', 503, 'model_not_loaded'],
    ['generation-failed', 500, 'generation_failed'],
  ])('maps the engine code %s to %i %s', (code, status, openaiCode) => {
    const response = toErrorResponse(new FakeLlmError(code, 'm', { param: 'top_k' }));
    expect(response.status).toBe(status);
    expect(response.body.error.code).toBe(openaiCode);
    expect(Object.keys(response.body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  });

  it('passes the engine\'s param through for invalid-request', () => {
    expect(toErrorResponse(new FakeLlmError('invalid-request', 'bad top_k', { param: 'top_k' })).body.error).toEqual({ message: 'bad top_k', type: 'invalid_request_error', param: 'top_k', code: 'invalid_value' });
  });

  it('answers a schema keyword the grammar cannot enforce as 400 unsupported_value on the wire param', () => {
    const error = new FakeLlmError('unsupported-schema', 'The JSON schema keyword "multipleOf" at /multipleOf: …', {
      param: 'responseFormat.schema', keyword: 'multipleOf', path: '/multipleOf',
    });
    expect(toErrorResponse(error)).toMatchObject({
      status: 400,
      body: { error: { type: 'invalid_request_error', code: 'unsupported_value', param: 'response_format.json_schema.schema' } },
      unexpected: false,
    });
    expect(toErrorResponse(error, { promptParam: 'input' }).body.error.param).toBe('text.format.schema');
    const tool = new FakeLlmError('unsupported-schema', 'm', { param: 'tools[2].parameters', keyword: 'minimum', path: '/properties/n/minimum' });
    expect(toErrorResponse(tool, { promptParam: 'messages' }).body.error.param).toBe('tools[2].function.parameters');
    expect(toErrorResponse(tool, { promptParam: 'input' }).body.error.param).toBe('tools[2].parameters');
  });

  it('answers a grammar-constrained answer that breaks its schema as a logged 500, never a 200', () => {
    expect(toErrorResponse(new FakeLlmError('output-invalid', 'bug', { errors: ['/age must be <= 150'] }))).toMatchObject({
      status: 500,
      body: { error: { code: 'output_invalid' } },
      unexpected: true,
    });
  });

  it('asks a client to retry after a second when the queue is full', () => {
    expect(toErrorResponse(new FakeLlmError('queue-full', 'full', { maxQueue: 4 })).headers).toEqual({ 'retry-after': '1' });
  });

  it('keeps the engine message when context-overflow lacks its numbers', () => {
    expect(toErrorResponse(new FakeLlmError('context-overflow', 'too long'), { promptParam: 'prompt' }).body.error).toMatchObject({ message: 'too long', param: 'prompt' });
  });

  it('treats an unknown engine code and any other exception as a 500 bug without internals', () => {
    for (const error of [new FakeLlmError('brand-new-code', 'secret detail'), new RangeError('secret detail'), 'a string']) {
      const response = toErrorResponse(error);
      expect(response.status).toBe(500);
      expect(response.unexpected).toBe(true);
      expect(response.body.error.message).not.toContain('secret detail');
    }
  });

  it('uses an ApiError\'s own OpenAI code, param and Retry-After', () => {
    const response = toErrorResponse(new ApiError('model-loading', 'loading', { retryAfterSeconds: 5 }));
    expect(response).toMatchObject({ status: 503, headers: { 'retry-after': '5' }, body: { error: { code: 'model_loading', param: null, type: 'server_error' } } });
    expect(toErrorResponse(new ApiError('unauthorized', 'no key', { openaiCode: 'missing_api_key' })).headers).toEqual({ 'www-authenticate': 'Bearer' });
  });
});
