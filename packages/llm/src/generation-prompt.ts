import { Template } from '@huggingface/jinja';
import type * as NodeLlamaCppModule from 'node-llama-cpp';
import type { ChatHistoryItem, ChatWrapper, ChatWrapperGenerateContextStateOptions, ChatWrapperGeneratedContextState } from 'node-llama-cpp';

type NodeLlamaCpp = typeof NodeLlamaCppModule;

/**
 * The whitespace a Jinja chat template puts at the end of its generation prompt
 * (`add_generation_prompt`), or undefined when the template cannot tell (it fails to render a
 * one-message chat, or its generation prompt is not a plain suffix).
 */
export function generationPromptTrailingWhitespace(template: string): string | undefined {
  try {
    const jinja = new Template(template);
    const render = (addGenerationPrompt: boolean): string =>
      jinja.render({
        messages: [{ role: 'user', content: 'probe' }],
        add_generation_prompt: addGenerationPrompt,
        // As node-llama-cpp renders (its Jinja wrapper's `reasoning` defaults to on).
        enable_thinking: true,
        bos_token: '',
        eos_token: '',
      });
    const without = render(false);
    const withPrompt = render(true);
    if (!withPrompt.startsWith(without) || withPrompt === without) return undefined;
    return /\s*$/.exec(withPrompt)?.[0] ?? '';
  } catch {
    return undefined;
  }
}

function startsFreshModelTurn(history: readonly ChatHistoryItem[]): boolean {
  const last = history.at(-1);
  return last?.type === 'model' && last.response.length === 0;
}

/**
 * A view of a Jinja-template wrapper whose prompt ends exactly as the template's generation
 * prompt does.
 *
 * node-llama-cpp renders the new model turn as a message and cuts it where the content would
 * start, so a `role: content` template ends the prompt with `assistant: ` where the template's
 * `add_generation_prompt` (what llama.cpp's server sends) ends with `assistant:`. That one space
 * token changes the answer (#14). The trailing whitespace of the rendered prompt is replaced with
 * the template's own; everything before it is node-llama-cpp's rendering, which keeps message
 * text apart from special tokens.
 */
export function alignGenerationPrompt(wrapper: ChatWrapper, lib: NodeLlamaCpp, trailingWhitespace: string): ChatWrapper {
  const view = Object.create(wrapper) as ChatWrapper;
  view.generateContextState = (options: ChatWrapperGenerateContextStateOptions): ChatWrapperGeneratedContextState => {
    const state = wrapper.generateContextState(options);
    const hasFunctions = Object.keys(options.availableFunctions ?? {}).length > 0;
    if (hasFunctions || !startsFreshModelTurn(options.chatHistory)) return state;
    const values = state.contextText.values;
    const last = values.at(-1);
    if (!(last instanceof lib.SpecialTokensText)) return state;
    const aligned = last.value.replace(/\s*$/, trailingWhitespace);
    if (aligned === last.value) return state;
    return { ...state, contextText: lib.LlamaText([...values.slice(0, -1), new lib.SpecialTokensText(aligned)]) };
  };
  return view;
}
