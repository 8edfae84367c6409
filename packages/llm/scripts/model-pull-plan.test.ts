import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultModelUri, planModelPull } from './model-pull-plan.ts';

const repo = '/repo';
const cwd = '/repo/packages/llm';

describe('planModelPull', () => {
  it('pulls the default Gemma 3n E2B model into models/gemma-3n-e2b.gguf', () => {
    expect(planModelPull([], repo, cwd)).toEqual({ kind: 'pull', uri: defaultModelUri, directory: '/repo/models', fileName: 'gemma-3n-e2b.gguf' });
    expect(defaultModelUri).toBe('hf:unsloth/gemma-3n-E2B-it-GGUF:Q4_K_M');
  });

  it('pulls another URI into models/ under its remote name', () => {
    expect(planModelPull(['hf:user/repo:Q8_0'], repo, cwd)).toEqual({ kind: 'pull', uri: 'hf:user/repo:Q8_0', directory: '/repo/models', fileName: undefined });
    expect(planModelPull(['--', 'https://example.com/a.gguf'], repo, cwd)).toMatchObject({ uri: 'https://example.com/a.gguf', fileName: undefined });
  });

  it('writes to --output, resolved against the directory the command was run from', () => {
    expect(planModelPull(['hf:user/repo', '--output', 'x/my.gguf'], repo, '/home/me')).toEqual({
      kind: 'pull',
      uri: 'hf:user/repo',
      directory: path.resolve('/home/me/x'),
      fileName: 'my.gguf',
    });
    expect(planModelPull(['--output=/abs/m.gguf'], repo, cwd)).toMatchObject({ uri: defaultModelUri, directory: '/abs', fileName: 'm.gguf' });
  });

  it('takes a second argument as the target: a bare name in models/, a path as given', () => {
    expect(planModelPull(['hf:user/repo:Q8_0', 'gemma-q8.gguf'], repo, cwd)).toEqual({
      kind: 'pull',
      uri: 'hf:user/repo:Q8_0',
      directory: '/repo/models',
      fileName: 'gemma-q8.gguf',
    });
    expect(planModelPull(['hf:user/repo', './out/x.gguf'], repo, '/home/me')).toMatchObject({ directory: '/home/me/out', fileName: 'x.gguf' });
  });

  it('rejects what is not a URI, unknown options, two URIs and non-GGUF outputs', () => {
    expect(() => planModelPull(['./model.gguf'], repo, cwd)).toThrow(/not a model URI/);
    expect(() => planModelPull(['--force'], repo, cwd)).toThrow(/Unknown option --force/);
    expect(() => planModelPull(['hf:a/b', 'a.gguf', 'b.gguf'], repo, cwd)).toThrow(/Unexpected argument/);
    expect(() => planModelPull(['-o'], repo, cwd)).toThrow(/needs a file path/);
    expect(() => planModelPull(['-o', 'm.bin'], repo, cwd)).toThrow(/\.gguf/);
  });

  it('prints help', () => {
    expect(planModelPull(['--help'], repo, cwd)).toEqual({ kind: 'help' });
  });
});
