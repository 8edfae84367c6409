import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

// Runs in a child process against dist/, with a module resolution hook recording what loads.
const script = `
import { registerHooks } from 'node:module';
const seen = [];
registerHooks({ resolve(specifier, context, next) { seen.push(specifier); return next(specifier, context); } });
const crypto = await import('@trosyn/crypto');
const afterImport = seen.some((s) => s.includes('libsodium'));
await crypto.deriveNetworkKey('a test secret', { opsLimit: crypto.MIN_PWHASH_OPS_LIMIT, memLimit: crypto.MIN_PWHASH_MEM_LIMIT });
const afterDerive = seen.some((s) => s.includes('libsodium'));
console.log(JSON.stringify({ afterImport, afterDerive }));
`;

describe('package import', () => {
  it('does not load libsodium until a network key is derived', () => {
    expect(existsSync(join(packageDir, 'dist/index.js')), 'dist/ is missing: run `pnpm build` first').toBe(true);
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: packageDir, encoding: 'utf8', timeout: 60_000 });
    expect(JSON.parse(output.trim())).toEqual({ afterImport: false, afterDerive: true });
  });
});
