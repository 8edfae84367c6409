import { readFile } from 'node:fs/promises';
import { Template } from '@huggingface/jinja';
import { readGgufFileInfo } from 'node-llama-cpp';
import { beforeAll, describe, expect, it } from 'vitest';
import { LlmEngine, prepareCpuVariants, type ChatMessage } from '../src/index.js';
import { storiesTemplate, testModel } from './test-models.js';

const chat: readonly ChatMessage[] = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Say hi.' },
  { role: 'assistant', content: 'Hi.' },
  { role: 'user', content: 'Again?' },
];

/** What the template itself renders for `chat` (as llama.cpp's server does with `--jinja`). */
function jinjaRendering(template: string, bos: string, eos: string): string {
  return new Template(template).render({
    messages: chat.map(({ role, content }) => ({ role, content })),
    add_generation_prompt: true,
    // node-llama-cpp and llama.cpp's server both render thinking on by default.
    enable_thinking: true,
    bos_token: bos,
    eos_token: eos,
  });
}

async function fileTemplate(path: string): Promise<string> {
  const info = await readGgufFileInfo(path, { readTensorInfo: false });
  const template = (info.metadata as { tokenizer?: { chat_template?: unknown } }).tokenizer?.chat_template;
  if (typeof template !== 'string') throw new Error(`${path} has no chat template`);
  return template;
}

// This file loads other models before gemma3n-tiny in one process: the CPU variant (chosen once per
// process) is decided for all of them first, as an application loading several models does.
beforeAll(() => prepareCpuVariants([testModel('synthetic-gemma3n-tiny.gguf')]));

// #14: node-llama-cpp chose a built-in wrapper (GemmaChatWrapper for Gemma 3n, whose system
// message differs) or cut the model turn after the template's space; the prompt must be the
// file's own template's rendering for every model that has one.
describe('LlmEngine chat prompt = the GGUF Jinja template rendering', () => {
  it.each(['stories260K-chat.gguf', 'synthetic-gemma3n-tiny.gguf', 'synthetic-gemma3-270m-q4_k_m.gguf'] as const)('%s', async (file) => {
    const path = testModel(file);
    const engine = await LlmEngine.load({ modelPath: path, contextSize: 512 });
    try {
      expect(engine.runtime).toMatchObject({ chatWrapper: 'JinjaTemplate', chatFormatSource: 'gguf' });
      const bos = file.startsWith('stories') ? '<s>' : '<bos>';
      const expected = jinjaRendering(await fileTemplate(path), bos, file.startsWith('stories') ? '</s>' : '<eos>');
      const prompt = engine.renderChatPrompt(chat);
      // llama.cpp adds the BOS token when tokenizing if the template did not render it.
      expect(prompt.startsWith(bos) && !expected.startsWith(bos) ? prompt.slice(bos.length) : prompt).toBe(expected);
    } finally {
      await engine.dispose();
    }
  });

  // Gemma 3n's template has no tool support (llama.cpp's server then sends no tools at all); the
  // tools are described in the template's first user turn by node-llama-cpp's generic text.
  it('describes tools inside the template\'s own turns when the template has no tool support (gemma3n)', async () => {
    const engine = await LlmEngine.load({ modelPath: testModel('synthetic-gemma3n-tiny.gguf'), contextSize: 1024 });
    try {
      const tool = { name: 'get_weather', description: 'Current weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } };
      const prompt = engine.renderChatPrompt([{ role: 'user', content: 'Weather in Oslo?' }], [tool]);
      expect(prompt).toMatch(/^<bos><start_of_turn>user\n[\s\S]*get_weather[\s\S]*Weather in Oslo\?<end_of_turn>\n<start_of_turn>model\n$/);
    } finally {
      await engine.dispose();
    }
  });

  // #14: Gemma 4's template renders tools itself (`<|tool>declaration:…<tool|>` in the system
  // turn, `<|tool_call>call:…<tool_call|>`, a `tool` turn per result), which node-llama-cpp could
  // not read, so tools reached the model as its generic function text instead.
  it('renders tools, tool calls and tool results through a template that supports them (Gemma 4)', async () => {
    const path = testModel('synthetic-gemma3-270m-q4_k_m.gguf');
    const engine = await LlmEngine.load({ modelPath: path, contextSize: 1024 });
    try {
      const template = new Template(await fileTemplate(path));
      const tool = {
        name: 'get_weather',
        description: 'Current weather of a city',
        parameters: { type: 'object', properties: { city: { type: 'string', description: 'City name' }, days: { type: 'integer' } }, required: ['city'] },
      };
      const jinjaTools = [{ type: 'function', function: tool }];
      const render = (messages: object[]) =>
        template.render({ messages, tools: jinjaTools, add_generation_prompt: true, enable_thinking: true, bos_token: '<bos>', eos_token: '<eos>' });
      const ask: ChatMessage[] = [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Weather in Oslo?' }];
      expect(engine.renderChatPrompt(ask, [tool])).toBe(render(ask));
      // Arguments and results as node-llama-cpp re-serialises JSON (a space after ":" and ",").
      const history: ChatMessage[] = [
        ...ask,
        { role: 'assistant', content: null, toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city": "Oslo", "days": 2}' }] },
        { role: 'tool', toolCallId: 'call_1', content: '{"temp": 3}' },
      ];
      expect(engine.renderChatPrompt(history, [tool])).toBe(
        render([
          ...ask,
          { role: 'assistant', content: '', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city": "Oslo", "days": 2}' } }] },
          { role: 'tool', tool_call_id: 'call_1', content: '{"temp": 3}' },
        ]),
      );
      // A forced call is written in the template's syntax and parsed back.
      const forced = await engine.chat({ messages: ask, tools: [tool], toolChoice: 'required', maxTokens: 30, temperature: 0 });
      expect(forced.toolCalls).toMatchObject([{ name: 'get_weather', arguments: expect.stringMatching(/^\{/) as unknown }]);
    } finally {
      await engine.dispose();
    }
  }, 120_000);

  it('renders a supplied template (LLM_CHAT_TEMPLATE) the same way, and names it configured', async () => {
    const engine = await LlmEngine.load({ modelPath: testModel('stories260K.gguf'), contextSize: 512, chatTemplate: storiesTemplate });
    try {
      expect(engine.runtime).toMatchObject({ chatWrapper: 'JinjaTemplate', chatFormatSource: 'configured' });
      expect(engine.renderChatPrompt(chat).replace(/^<s>/, '')).toBe(jinjaRendering(storiesTemplate, '<s>', '</s>'));
    } finally {
      await engine.dispose();
    }
  });

  it('falls back to node-llama-cpp\'s guess for a file without a template, and takes a built-in format by name', async () => {
    const plain = await LlmEngine.load({ modelPath: testModel('stories260K.gguf'), contextSize: 512 });
    try {
      expect(plain.runtime).toMatchObject({ chatWrapper: 'Llama2Chat', chatFormatSource: 'fallback' });
    } finally {
      await plain.dispose();
    }
    const chatMl = await LlmEngine.load({ modelPath: testModel('stories260K-chat.gguf'), contextSize: 512, chatFormat: 'chatML' });
    try {
      expect(chatMl.runtime).toMatchObject({ chatWrapper: 'ChatML', chatFormatSource: 'configured' });
      expect(chatMl.renderChatPrompt(chat)).toContain('<|im_start|>assistant');
    } finally {
      await chatMl.dispose();
    }
    const error = await LlmEngine.load({ modelPath: testModel('stories260K-chat.gguf'), chatFormat: 'no-such-format' }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'invalid-request', details: { param: 'chatFormat' } });
    expect((error as Error).message).toContain('gemma');
  });

  it('keeps the readme\'s template file readable for the test', async () => {
    expect(await readFile(testModel('stories260K-chat.gguf')).then((buffer) => buffer.subarray(0, 4).toString())).toBe('GGUF');
  });
});
