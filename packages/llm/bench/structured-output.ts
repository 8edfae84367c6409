// `pnpm --filter @trosyn/llm bench:structured` (and part of `pnpm bench`): the cost of a
// grammar. The same chat on the same model, answered as free text and as a `json_schema`
// answer, interleaved run by run; prints decode tokens/s of each, their ratio and CPU per token
// (target: the grammar costs < 10 % of tokens/s). Asserts nothing.
//
// Environment: BENCH_MODELS (comma list of GGUF paths; default: stories260K-chat, the trained
// model, and the synthetic 270M benchmark model from TROSYN_TEST_MODELS_DIR or ../shared/models),
// BENCH_REPS (default 7), BENCH_TOKENS (default 64).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { LlmEngine, type ChatRequest, type ResponseFormat } from '@trosyn/llm';

const repoRoot = path.resolve(import.meta.dirname, '..', '..', '..');
const reps = Number(process.env.BENCH_REPS ?? 7);
const maxTokens = Number(process.env.BENCH_TOKENS ?? 64);

function models(): string[] {
  if (process.env.BENCH_MODELS !== undefined) return process.env.BENCH_MODELS.split(',').map((file) => path.resolve(file));
  const dirs = [process.env.TROSYN_TEST_MODELS_DIR, path.join(repoRoot, '..', 'shared', 'models'), path.join(repoRoot, 'models')];
  const found: string[] = [];
  for (const name of ['stories260K-chat.gguf', 'synthetic-gemma3-270m-q4_k_m.gguf']) {
    const dir = dirs.find((candidate) => candidate !== undefined && existsSync(path.join(candidate, name)));
    if (dir !== undefined) found.push(path.join(dir, name));
  }
  if (found.length === 0) throw new Error('No benchmark model found: set BENCH_MODELS or TROSYN_TEST_MODELS_DIR.');
  return found;
}

// A schema with a long free-text field: the answer runs to maxTokens like the free text does,
// and the keys, bounds and enum put the grammar to work.
const schema = {
  type: 'object',
  properties: {
    title: { type: 'string', maxLength: 40 },
    rating: { type: 'integer', minimum: 0, maximum: 5 },
    mood: { enum: ['happy', 'sad', 'calm'] },
    story: { type: 'string' },
  },
  required: ['title', 'rating', 'mood', 'story'],
  additionalProperties: false,
};
const formats: Readonly<Record<'text' | 'json_schema', ResponseFormat>> = {
  text: { type: 'text' },
  json_schema: { type: 'json_schema', schema },
};

interface Run {
  readonly decodeTps: number;
  readonly cpuMsPerToken: number;
  readonly tokens: number;
}

async function run(engine: LlmEngine, request: ChatRequest): Promise<Run> {
  let first: number | undefined;
  let tokens = 0;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  for await (const delta of engine.streamChat(request)) {
    if (delta.type === 'text' && delta.text !== '') first ??= performance.now();
    if (delta.type === 'done') tokens = delta.usage.completionTokens;
  }
  const end = performance.now();
  const cpu = process.cpuUsage(cpuStart);
  const firstAt = first ?? start;
  return {
    decodeTps: tokens > 1 ? ((tokens - 1) * 1000) / (end - firstAt) : 0,
    cpuMsPerToken: (cpu.user + cpu.system) / 1000 / Math.max(tokens, 1),
    tokens,
  };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

console.log(`structured output: decode tokens/s, ${maxTokens} tokens, temperature 0, ${reps} interleaved runs each, medians`);
console.log('| model | free text tok/s | json_schema tok/s | json_schema / text | CPU ms/token text | CPU ms/token json_schema | tokens text / json |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const modelPath of models()) {
  const engine = await LlmEngine.load({ modelPath, contextSize: 2048 });
  try {
    const runs: Record<keyof typeof formats, Run[]> = { text: [], json_schema: [] };
    for (let rep = -1; rep < reps; rep++) {
      for (const name of ['text', 'json_schema'] as const) {
        // A different first line per run: no run reuses another's prompt from the KV cache.
        const request: ChatRequest = {
          messages: [{ role: 'user', content: `Story ${rep + 2}. Tell me a story about a dog, with a title, a rating and a mood.` }],
          maxTokens,
          temperature: 0,
          responseFormat: formats[name],
        };
        const result = await run(engine, request);
        if (rep >= 0) runs[name].push(result);
      }
    }
    const text = runs.text;
    const json = runs.json_schema;
    const textTps = median(text.map((r) => r.decodeTps));
    const jsonTps = median(json.map((r) => r.decodeTps));
    console.log(
      `| ${path.basename(modelPath)} (threads ${engine.runtime.threads}) | ${textTps.toFixed(1)} | ${jsonTps.toFixed(1)} | ${(jsonTps / textTps).toFixed(2)} | ` +
        `${median(text.map((r) => r.cpuMsPerToken)).toFixed(2)} | ${median(json.map((r) => r.cpuMsPerToken)).toFixed(2)} | ` +
        `${median(text.map((r) => r.tokens))} / ${median(json.map((r) => r.tokens))} |`,
    );
  } finally {
    await engine.dispose();
  }
}
