/**
 * True for a model the engine downloads rather than reads: node-llama-cpp's model URIs
 * (`hf:user/repo:quant`, `huggingface:…`) and `http(s)://` URLs. Such a value of
 * `LLM_MODEL_PATH` is neither resolved as a path nor reported missing up front.
 */
export function isModelUri(value: string): boolean {
  return /^(hf:|huggingface:|https?:\/\/)/i.test(value);
}
