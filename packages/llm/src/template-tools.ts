import { Template } from '@huggingface/jinja';
import type * as NodeLlamaCppModule from 'node-llama-cpp';
import type {
  ChatHistoryItem,
  ChatModelFunctions,
  ChatWrapper,
  ChatWrapperGenerateContextStateOptions,
  ChatWrapperGeneratedContextState,
  ChatWrapperSettings,
} from 'node-llama-cpp';

type NodeLlamaCpp = typeof NodeLlamaCppModule;

/**
 * How a template writes one tool call (`prefix` name `paramsPrefix` arguments `suffix`) and,
 * when it shows, the tool's result (`resultPrefix` result `resultSuffix`).
 */
export interface TemplateCallSyntax {
  readonly prefix: string;
  readonly paramsPrefix: string;
  readonly suffix: string;
  readonly result: { readonly prefix: string; readonly suffix: string } | undefined;
}

const NAME_1 = 'trosynProbeNameOne';
const NAME_2 = 'trosynProbeNameTwo';
const ARGS_1 = 'TROSYN_PROBE_ARGS_ONE';
const ARGS_2 = 'TROSYN_PROBE_ARGS_TWO';
const RESULT = 'TROSYN_PROBE_RESULT';

function commonSuffixLength(a: string, b: string): number {
  let length = 0;
  while (length < a.length && length < b.length && a[a.length - 1 - length] === b[b.length - 1 - length]) length++;
  return length;
}

/**
 * The tool-call syntax of a Jinja chat template that renders `tools` itself, read from the
 * template's own rendering of an assistant turn with two calls whose `arguments` are strings
 * (OpenAI's form): the text between the calls is the end of one call and the start of the next.
 * Undefined when the template does not render tools or that probe does not show a syntax.
 */
export function templateCallSyntax(template: string): TemplateCallSyntax | undefined {
  if (!/\btools\b/.test(template)) return undefined;
  try {
    const call = (name: string, args: string) => ({ id: `call_${name}`, type: 'function', function: { name, arguments: args } });
    const tool = (name: string) => ({ type: 'function', function: { name, description: '', parameters: { type: 'object', properties: {} } } });
    const jinja = new Template(template);
    const render = (messages: object[], addGenerationPrompt: boolean): string =>
      jinja.render({
        messages: [{ role: 'user', content: 'probe' }, ...messages],
        tools: [tool(NAME_1), tool(NAME_2)],
        add_generation_prompt: addGenerationPrompt,
        // As node-llama-cpp renders (its Jinja wrapper's `reasoning` defaults to on).
        enable_thinking: true,
        bos_token: '',
        eos_token: '',
      });
    const rendered = render([{ role: 'assistant', content: '', tool_calls: [call(NAME_1, ARGS_1), call(NAME_2, ARGS_2)] }], false);
    // The declarations mention the names too: look for the calls after the user's message.
    const start = rendered.indexOf('probe');
    const name1 = rendered.indexOf(NAME_1, start);
    const args1 = rendered.indexOf(ARGS_1, name1);
    const name2 = rendered.indexOf(NAME_2, args1);
    const args2 = rendered.indexOf(ARGS_2, name2);
    if (start < 0 || name1 < 0 || args1 < 0 || name2 < 0 || args2 < 0) return undefined;
    const beforeFirst = rendered.slice(start + 'probe'.length, name1);
    const between = rendered.slice(args1 + ARGS_1.length, name2);
    const prefix = between.slice(between.length - commonSuffixLength(beforeFirst, between));
    const suffix = between.slice(0, between.length - prefix.length);
    const paramsPrefix = rendered.slice(name1 + NAME_1.length, args1);
    if (prefix.trim() === '' || suffix.trim() === '' || rendered.slice(name2 + NAME_2.length, args2) !== paramsPrefix) return undefined;
    return { prefix, paramsPrefix, suffix, result: resultSyntax(render, suffix) };
  } catch {
    return undefined;
  }
}

// A tool message after one call, then the generation prompt: the text between the call's end
// and the result opens the tool's turn, the text after it hands the turn back to the model.
function resultSyntax(render: (messages: object[], addGenerationPrompt: boolean) => string, callSuffix: string): TemplateCallSyntax['result'] {
  const rendered = render(
    [
      { role: 'assistant', content: '', tool_calls: [{ id: 'call_1', type: 'function', function: { name: NAME_1, arguments: ARGS_1 } }] },
      { role: 'tool', tool_call_id: 'call_1', name: NAME_1, content: RESULT },
    ],
    true,
  );
  const callEnd = rendered.indexOf(ARGS_1 + callSuffix);
  const result = rendered.indexOf(RESULT, callEnd);
  if (callEnd < 0 || result < 0) return undefined;
  const prefix = rendered.slice(callEnd + ARGS_1.length + callSuffix.length, result);
  const suffix = rendered.slice(result + RESULT.length);
  return prefix.trim() === '' || suffix.trim() === '' ? undefined : { prefix, suffix };
}

/** node-llama-cpp's functions as the OpenAI `tools` array a chat template expects. */
export function toTemplateTools(functions: ChatModelFunctions): object[] {
  return Object.entries(functions).map(([name, definition]) => ({
    type: 'function',
    function: {
      name,
      ...(definition.description === undefined ? {} : { description: definition.description }),
      ...(definition.params === undefined ? {} : { parameters: definition.params }),
    },
  }));
}

interface JinjaRenderInternals {
  additionalRenderParameters?: Record<string, unknown>;
  addAvailableFunctionsSystemMessageToHistory(history: readonly ChatHistoryItem[], ...rest: unknown[]): readonly ChatHistoryItem[];
}

/**
 * A view of a Jinja-template wrapper whose template renders `tools` itself (Gemma 4's
 * `<|tool>declaration:…<tool|>` block) but whose call syntax node-llama-cpp could not extract:
 * for a request with tools, the template gets them as `tools` (what llama.cpp's server passes),
 * instead of node-llama-cpp's generic function description in the system message; and function
 * calls use the template's own syntax, so the model writes (and is forced into) the calls it
 * was trained on. Arguments stay JSON: node-llama-cpp's grammar and parser need it.
 */
export function withTemplateTools(wrapper: ChatWrapper, lib: NodeLlamaCpp, syntax: TemplateCallSyntax): ChatWrapper {
  const view = Object.create(wrapper) as ChatWrapper;
  const special = (text: string) => lib.LlamaText(new lib.SpecialTokensText(text));
  const settings: ChatWrapperSettings = {
    ...wrapper.settings,
    functions: {
      ...wrapper.settings.functions,
      call: {
        optionalPrefixSpace: false,
        prefix: special(syntax.prefix),
        paramsPrefix: special(syntax.paramsPrefix),
        suffix: special(syntax.suffix),
        emptyCallParamsPlaceholder: {},
      },
      result: syntax.result === undefined
        ? wrapper.settings.functions.result
        : { prefix: special(syntax.result.prefix), suffix: special(syntax.result.suffix) },
    },
  };
  Object.defineProperty(view, 'settings', { value: settings });
  view.generateContextState = (options: ChatWrapperGenerateContextStateOptions): ChatWrapperGeneratedContextState => {
    const functions = options.availableFunctions;
    if (functions === undefined || Object.keys(functions).length === 0) return wrapper.generateContextState(options);
    // node-llama-cpp's Jinja wrapper reads both from `this` while rendering: a per-request view
    // renders the tools through the template and leaves the generic description out.
    const perRequest = Object.create(view) as ChatWrapper & JinjaRenderInternals;
    const base = wrapper as ChatWrapper & JinjaRenderInternals;
    perRequest.additionalRenderParameters = { ...(base.additionalRenderParameters ?? {}), tools: toTemplateTools(functions) };
    perRequest.addAvailableFunctionsSystemMessageToHistory = (history) => history;
    return Object.getPrototypeOf(view).generateContextState.call(perRequest, options) as ChatWrapperGeneratedContextState;
  };
  return view;
}
