import type * as NodeLlamaCppModule from 'node-llama-cpp';
import type { ChatWrapper, ChatWrapperGenerateContextStateOptions, ChatWrapperGeneratedContextState } from 'node-llama-cpp';

type NodeLlamaCpp = typeof NodeLlamaCppModule;

/**
 * A view of `wrapper` whose rendered context starts the model's turn inside a function call:
 * node-llama-cpp then constrains the function name and its parameters by grammar from the
 * first token, so a call is certain (`toolChoice: 'required'` or a named tool).
 */
export function forceFunctionCall(wrapper: ChatWrapper, lib: NodeLlamaCpp): ChatWrapper {
  const forced = Object.create(wrapper) as ChatWrapper;
  forced.generateContextState = (options: ChatWrapperGenerateContextStateOptions): ChatWrapperGeneratedContextState => {
    const state = wrapper.generateContextState(options);
    return {
      contextText: lib.LlamaText([state.contextText, wrapper.settings.functions.call.prefix]),
      stopGenerationTriggers: state.stopGenerationTriggers,
      ...(state.ignoreStartText === undefined ? {} : { ignoreStartText: state.ignoreStartText }),
      functionCall: { initiallyEngaged: true, disengageInitiallyEngaged: [] },
    };
  };
  return forced;
}

/**
 * A view of `wrapper` without the template's stop triggers, for grammar-constrained answers.
 *
 * A template's triggers are text (for a `role: content\n` template, a newline) that a JSON
 * answer may legitimately contain; stopping on one cuts the JSON in the middle (issue #14).
 * The grammar decides the end instead: llama.cpp only lets an end-of-generation token through
 * once the grammar is complete, so the answer ends complete, or at `maxTokens`.
 */
export function withoutTemplateStops(wrapper: ChatWrapper): ChatWrapper {
  const view = Object.create(wrapper) as ChatWrapper;
  view.generateContextState = (options: ChatWrapperGenerateContextStateOptions): ChatWrapperGeneratedContextState => ({
    ...wrapper.generateContextState(options),
    stopGenerationTriggers: [],
  });
  return view;
}
