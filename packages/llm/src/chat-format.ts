import type * as NodeLlamaCppModule from 'node-llama-cpp';
import type { ChatWrapper, LlamaModel } from 'node-llama-cpp';
import { LlmError } from './errors.js';
import { alignGenerationPrompt, generationPromptTrailingWhitespace } from './generation-prompt.js';
import { templateCallSyntax, withTemplateTools } from './template-tools.js';

type NodeLlamaCpp = typeof NodeLlamaCppModule;

/** Where the chat format of an engine came from. */
export type ChatFormatSource = 'gguf' | 'configured' | 'fallback';

/** The chat wrapper an engine renders prompts with, and where it came from. */
export interface ChatFormat {
  readonly wrapper: ChatWrapper;
  readonly source: ChatFormatSource;
}

/** What the caller asked for: a Jinja template's text, or one of node-llama-cpp's built-in format names. */
export type ChatFormatOverride = { readonly template: string } | { readonly builtIn: string } | undefined;

/** node-llama-cpp's built-in chat format names accepted as an override (`gemma`, `chatML`, `llama3.1`…). */
export function builtInChatFormats(lib: NodeLlamaCpp): NodeLlamaCpp['specializedChatWrapperTypeNames'] {
  return lib.specializedChatWrapperTypeNames;
}

/**
 * Picks the chat format: an override first; else the GGUF file's own Jinja template, always
 * rendered as that template (node-llama-cpp would otherwise swap in a built-in wrapper it
 * considers equivalent, e.g. `GemmaChatWrapper` for Gemma 3n, whose prompt differs; #14);
 * else, for a file without a template, node-llama-cpp's guess from the file's name and
 * architecture (e.g. `Llama2Chat`, or `General` when nothing matches): the documented fallback.
 */
export function resolveChatFormat(lib: NodeLlamaCpp, model: LlamaModel, override: ChatFormatOverride): ChatFormat {
  if (override !== undefined && 'template' in override) {
    return { wrapper: alignedToTemplate(lib, jinjaWrapper(lib, override.template), override.template), source: 'configured' };
  }
  if (override !== undefined) {
    const names = builtInChatFormats(lib);
    const type = names.find((name) => name === override.builtIn);
    if (type === undefined) {
      throw new LlmError('invalid-request', `Unknown chat format "${override.builtIn}"; use one of ${names.join(', ')}, or a Jinja template.`, {
        param: 'chatFormat',
      });
    }
    return { wrapper: lib.resolveChatWrapper(model, { type, fallbackToOtherWrappersOnJinjaError: false }), source: 'configured' };
  }
  const metadata = model.fileInfo.metadata as { tokenizer?: { chat_template?: unknown } };
  const template = metadata.tokenizer?.chat_template;
  if (typeof template === 'string' && template.trim() !== '') {
    const wrapper = lib.resolveChatWrapper(model, { type: 'jinjaTemplate', fallbackToOtherWrappersOnJinjaError: true });
    // A template node-llama-cpp cannot run falls back to its own guess; say so rather than claim the file's.
    if (wrapper.wrapperName !== 'JinjaTemplate') return { wrapper, source: 'fallback' };
    return { wrapper: alignedToTemplate(lib, wrapper, template), source: 'gguf' };
  }
  return { wrapper: lib.resolveChatWrapper(model), source: 'fallback' };
}

// Tools go through the template when it renders them: node-llama-cpp does so itself when it can
// read the template's call syntax; otherwise (Gemma 4) the template-tools view does.
function alignedToTemplate(lib: NodeLlamaCpp, jinja: ChatWrapper, template: string): ChatWrapper {
  const syntax = (jinja as { usingJinjaFunctionCallTemplate?: boolean }).usingJinjaFunctionCallTemplate === true ? undefined : templateCallSyntax(template);
  const wrapper = syntax === undefined ? jinja : withTemplateTools(jinja, lib, syntax);
  const trailing = generationPromptTrailingWhitespace(template);
  return trailing === undefined ? wrapper : alignGenerationPrompt(wrapper, lib, trailing);
}

/** A wrapper over a supplied Jinja template; an unusable template is an `invalid-request` naming `chatTemplate`. */
export function jinjaWrapper(lib: NodeLlamaCpp, template: string): ChatWrapper {
  try {
    return new lib.JinjaTemplateChatWrapper({ template });
  } catch (cause) {
    throw new LlmError(
      'invalid-request',
      `The chat template cannot be used: ${cause instanceof Error ? cause.message : String(cause)}. Fix the Jinja template, ` +
        "or leave chatTemplate unset to use the model's own.",
      { param: 'chatTemplate' },
      { cause },
    );
  }
}
