import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('README example', () => {
  it('runs against the built package and prints what the README says', () => {
    expect(existsSync(join(packageDir, 'dist/index.js')), 'dist/ is missing: run `pnpm build` first').toBe(true);
    const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
    const first = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
    // The sealed-frames section's examples continue the first one.
    const section = /### Sealed frames([\s\S]*?)\n### /.exec(readme)?.[1] ?? '';
    const frames = [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((match) => match[1]!);
    expect(first).toBeDefined();
    expect(frames).toHaveLength(3);
    const code = [first!, ...frames].join('\n');
    // Inside the package folder, `@trosyn/crypto` resolves to this package (Node self-reference).
    const file = join(packageDir, `.readme-example-${process.pid}.mjs`);
    writeFileSync(file, code);
    try {
      const output = execFileSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 });
      expect(output.trim().split('\n')).toEqual(['node-a POST /sync/push {"op":"push","items":3}', 'replayed', '{"op":"pull"} 89', '1048576', '49 3145728 chunk 7', 'true', 'tampered']);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
