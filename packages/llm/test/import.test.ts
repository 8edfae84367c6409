import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

describe('@trosyn/llm import', () => {
  it('loads neither node-llama-cpp nor any native addon', () => {
    expect(existsSync(dist), `${dist} is missing: run \`pnpm --filter @trosyn/llm build\` first`).toBe(true);
    // A fresh Node process records every module it resolves and every addon it loads while
    // importing the package, then uses the exports so nothing is left unevaluated.
    const script = `
      const { registerHooks } = await import('node:module');
      const seen = [];
      registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.push(r.url); return r; } });
      const addons = [];
      const original = process.dlopen;
      process.dlopen = (...args) => { addons.push(String(args[1])); return original(...args); };
      const llm = await import(${JSON.stringify(dist)});
      const exported = Object.keys(llm).sort();
      console.log(JSON.stringify({ exported, seen, addons }));
    `;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    const { exported, seen, addons } = JSON.parse(output) as { exported: string[]; seen: string[]; addons: string[] };
    expect(exported).toContain('LlmEngine');
    expect(exported).toContain('LlmError');
    expect(seen.filter((url) => url.includes('node-llama-cpp'))).toEqual([]);
    expect(addons).toEqual([]);
  });
});
