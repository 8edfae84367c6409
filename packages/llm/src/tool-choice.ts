import type { ChatModelFunctions } from 'node-llama-cpp';
import { invalidRequest } from './errors.js';
import type { ToolChoice, ToolDefinition } from './types.js';

/**
 * The tool choice a chat request resolves to: `none` without tools, `auto` by default with them;
 * `required` and a named tool are checked against `tools` (a clear `invalid-request` otherwise).
 */
export function resolveToolChoice(choice: ToolChoice | undefined, tools: readonly ToolDefinition[] | undefined): ToolChoice {
  if (tools !== undefined && !Array.isArray(tools)) throw invalidRequest('tools', 'tools must be an array.');
  const hasTools = tools !== undefined && tools.length > 0;
  if (choice === undefined) return hasTools ? 'auto' : 'none';
  if (choice === 'none') return 'none';
  if (choice === 'auto' || choice === 'required') {
    if (!hasTools && choice === 'required') throw invalidRequest('toolChoice', 'toolChoice "required" needs at least one tool.');
    return hasTools ? choice : 'none';
  }
  if (typeof choice === 'object' && choice !== null && typeof choice.name === 'string') {
    if (!hasTools || !tools.some((tool) => tool.name === choice.name)) {
      throw invalidRequest('toolChoice', `toolChoice names "${choice.name}", which is not in tools.`);
    }
    return choice;
  }
  throw invalidRequest('toolChoice', 'toolChoice must be "auto", "none", "required" or { name }.');
}

/**
 * The tools as node-llama-cpp's chat functions (names checked), only the named one when `choice`
 * names one; undefined without tools.
 */
export function toFunctions(tools: readonly ToolDefinition[] | undefined, choice: ToolChoice): ChatModelFunctions | undefined {
  if (tools === undefined || tools.length === 0) return undefined;
  const functions: Record<string, ChatModelFunctions[string]> = {};
  tools.forEach((tool, index) => {
    if (typeof tool?.name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(tool.name)) {
      throw invalidRequest(`tools[${index}].name`, `tools[${index}].name must be 1–64 letters, digits, _ . or -.`);
    }
    if (typeof choice === 'object' && tool.name !== choice.name) return;
    functions[tool.name] = {
      ...(tool.description === undefined ? {} : { description: tool.description }),
      ...(tool.parameters === undefined ? {} : { params: tool.parameters as NonNullable<ChatModelFunctions[string]['params']> }),
    };
  });
  return functions;
}
