#!/usr/bin/env node
// Proof that `npm install @trosyn/<name>` works on its own: packs every publishable package with
// `pnpm pack` (which rewrites workspace:/catalog: ranges to real ones), installs each tarball into
// an empty temporary npm project from the registry, and imports every entry point it exports.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const packagesDir = path.join(root, 'packages');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'trosyn-pack-'));
let failed = 0;
let passed = 0;

function run(cmd, args, cwd) {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

try {
  for (const dir of fs.readdirSync(packagesDir).sort()) {
    const pkgJson = JSON.parse(fs.readFileSync(path.join(packagesDir, dir, 'package.json'), 'utf8'));
    if (pkgJson.private) continue;
    const name = pkgJson.name;
    try {
      run('pnpm', ['pack', '--pack-destination', work], path.join(packagesDir, dir));
      const tarball = path.join(work, `${name.replace('@', '').replace('/', '-')}-${pkgJson.version}.tgz`);
      for (const required of ['README.md', 'LICENSE', 'package.json']) {
        const listing = run('tar', ['-tzf', tarball], work);
        if (!listing.includes(`package/${required}`)) throw new Error(`tarball lacks ${required}`);
      }
      const project = path.join(work, `consumer-${dir}`);
      fs.mkdirSync(project);
      fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: `consumer-${dir}`, private: true, type: 'module' }));
      run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', tarball], project);
      const entries = Object.keys(pkgJson.exports).filter((key) => key !== './package.json');
      for (const entry of entries) {
        const specifier = entry === '.' ? name : `${name}/${entry.slice(2)}`;
        const script = `const m = await import(${JSON.stringify(specifier)}); if (Object.keys(m).length === 0) { throw new Error('no exports'); } console.log(Object.keys(m).length);`;
        const count = run('node', ['--input-type=module', '-e', script], project).trim();
        console.log(`check-packages: ${specifier} installs alone and exports ${count} names`);
      }
      passed += 1;
    } catch (error) {
      failed += 1;
      console.error(`check-packages: ${name} FAILED: ${error.stderr || error.message}`);
    }
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
console.log(`check-packages: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
