// Runnable version of the README example: `node examples/quick-start.ts [model.gguf]` after
// `pnpm build`. Default model: models/gemma-3n-e2b.gguf at the repository root (`pnpm model:pull`).
import path from 'node:path';
import { LlmEngine, LlmError, type ChatMessage } from '@trosyn/llm';

const modelPath = process.argv[2] ?? path.resolve(import.meta.dirname, '../../../models/gemma-3n-e2b.gguf');
const engine = await LlmEngine.load({ modelPath, parallel: 2, contextSize: 1024 });
console.log('model:', engine.info);

// Text completion.
const completion = await engine.complete({ prompt: 'Once upon a time', maxTokens: 32, temperature: 0 });
console.log('\ncompletion:', JSON.stringify(completion.text), completion.finishReason, completion.usage);

// Chat completion.
const answer = await engine.chat({
  messages: [
    { role: 'system', content: 'You answer in one sentence.' },
    { role: 'user', content: 'What is a LAN?' },
  ],
  maxTokens: 64,
});
console.log('\nchat:', JSON.stringify(answer.content), answer.finishReason, answer.usage);

// Streaming, with a time limit.
process.stdout.write('\nstream: ');
for await (const delta of engine.streamChat({
  messages: [{ role: 'user', content: 'Tell me a short story.' }],
  maxTokens: 48,
  signal: AbortSignal.timeout(30_000),
})) {
  if (delta.type === 'text') process.stdout.write(delta.text);
  if (delta.type === 'done') console.log('\n', delta.finishReason, delta.usage);
}

// Tools: a forced call, then the result fed back.
const tools = [
  { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
];
const question: ChatMessage[] = [{ role: 'user', content: 'Weather in Oslo?' }];
const call = await engine.chat({ messages: question, tools, toolChoice: 'required', maxTokens: 64 });
console.log('\ntool calls:', call.toolCalls, call.finishReason);
const [toolCall] = call.toolCalls;
if (toolCall !== undefined) {
  const final = await engine.chat({
    tools,
    maxTokens: 48,
    messages: [
      ...question,
      { role: 'assistant', content: null, toolCalls: call.toolCalls },
      { role: 'tool', toolCallId: toolCall.id, content: '{"sky":"clear","temp":3}' },
    ],
  });
  console.log('after the tool result:', JSON.stringify(final.content), final.usage);
}

try {
  await engine.complete({ prompt: 'word '.repeat(5000) });
} catch (error) {
  if (error instanceof LlmError && error.code === 'context-overflow') console.log('\ncontext-overflow:', error.details);
}
await engine.dispose();
