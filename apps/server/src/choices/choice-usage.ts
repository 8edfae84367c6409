import type { Usage } from '../engine.js';

/**
 * The usage of a request with several choices, as OpenAI counts it: each prompt's tokens once
 * (however many choices answer it), every choice's completion tokens. `usages[i]` belongs to
 * choice `i`; `perPrompt` is `n`.
 */
export function sumChoiceUsage(usages: readonly Usage[], perPrompt: number): Usage {
  let promptTokens = 0;
  let completionTokens = 0;
  let cachedPromptTokens = 0;
  usages.forEach((usage, index) => {
    completionTokens += usage.completionTokens;
    if (index % perPrompt === 0) {
      promptTokens += usage.promptTokens;
      cachedPromptTokens += usage.cachedPromptTokens;
    }
  });
  return { promptTokens, completionTokens, cachedPromptTokens };
}
