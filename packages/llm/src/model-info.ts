import type { GgufFileInfo } from 'node-llama-cpp';
import { LlmError } from './errors.js';
import { checkModelFile, modelHint, modelIdFromPath } from './model-file.js';
import type { ModelInfo } from './types.js';

/** What a GGUF file says about its model, without loading it: {@link ModelInfo} minus the run-time fields. */
export type GgufModelInfo = Omit<ModelInfo, 'contextSize' | 'loadedAt'>;

/**
 * Reads a GGUF file's header (metadata and tensor table, not the weights) and describes the
 * model: architecture, parameter count, quantization, trained context length, whether a chat
 * template is embedded, and the file size. Loads no native code beyond node-llama-cpp's JS.
 *
 * @example
 * ```ts
 * const info = await readModelInfo('models/gemma-3n-e2b.gguf');
 * console.log(info.architecture, info.quantization, info.parameterCount);
 * ```
 */
export async function readModelInfo(modelPath: string): Promise<GgufModelInfo> {
  const file = await checkModelFile(modelPath);
  const lib = await import('node-llama-cpp');
  let fileInfo: GgufFileInfo;
  try {
    fileInfo = await lib.readGgufFileInfo(file.path);
  } catch (cause) {
    throw new LlmError(
      'model-invalid',
      `Could not read the GGUF header of ${file.path}: ${cause instanceof Error ? cause.message : String(cause)}. ${modelHint}`,
      { path: file.path },
      { cause },
    );
  }
  return describeGguf(fileInfo, file.path, file.size, (type) => lib.GgufFileType[type]);
}

/** Builds the description from parsed GGUF info; `fileTypeName` maps `general.file_type` to its enum name. */
export function describeGguf(
  fileInfo: GgufFileInfo,
  filePath: string,
  fileSizeBytes: number,
  fileTypeName: (fileType: number) => string | undefined,
): GgufModelInfo {
  const metadata = fileInfo.metadata as {
    general?: { architecture?: unknown; file_type?: unknown };
    tokenizer?: { chat_template?: unknown };
  };
  const fileType = metadata.general?.file_type;
  const contextLength = (fileInfo.architectureMetadata as { context_length?: unknown } | undefined)?.context_length;
  let parameterCount = 0;
  for (const tensor of fileInfo.fullTensorInfo ?? fileInfo.tensorInfo ?? []) {
    parameterCount += tensor.dimensions.reduce<number>((product, size) => product * Number(size), 1);
  }
  return Object.freeze({
    id: modelIdFromPath(filePath),
    path: filePath,
    architecture: typeof metadata.general?.architecture === 'string' ? metadata.general.architecture : 'unknown',
    parameterCount: parameterCount > 0 ? parameterCount : undefined,
    // `MOSTLY_Q4_K_M` → `Q4_K_M`, `ALL_F32` → `F32`; unset in some files (e.g. stories260K).
    quantization: typeof fileType === 'number' ? fileTypeName(fileType)?.replace(/^(MOSTLY|ALL)_/, '') : undefined,
    trainedContextLength: typeof contextLength === 'number' && contextLength > 0 ? contextLength : undefined,
    hasChatTemplate: typeof metadata.tokenizer?.chat_template === 'string',
    fileSizeBytes,
  });
}
