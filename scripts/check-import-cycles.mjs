#!/usr/bin/env node
// Fails when the TypeScript modules under the given directories import each other in a cycle
// (relative imports, type-only ones included: a cycle of types is still a knot to untie).
// Usage: node scripts/check-import-cycles.mjs <dir>... ; run by the packages' `lint` scripts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const roots = process.argv.slice(2).map((dir) => resolve(dir));
if (roots.length === 0) {
  console.error('usage: check-import-cycles.mjs <dir>...');
  process.exit(2);
}

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' || name === 'dist' ? [] : files(path);
    return /\.tsx?$/.test(name) && !/\.d\.ts$/.test(name) ? [path] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;
const graph = new Map();
for (const file of roots.flatMap(files)) {
  const targets = [];
  for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const spec = match[1] ?? match[2];
    const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
    targets.push(target.endsWith('.ts') || target.endsWith('.tsx') ? target : `${target}.ts`);
  }
  graph.set(file, targets);
}

const state = new Map(); // 1: on the stack, 2: done
const cycles = [];
function visit(file, stack) {
  state.set(file, 1);
  stack.push(file);
  for (const next of graph.get(file) ?? []) {
    if (!graph.has(next)) continue;
    if (state.get(next) === 1) cycles.push([...stack.slice(stack.indexOf(next)), next]);
    else if (state.get(next) === undefined) visit(next, stack);
  }
  stack.pop();
  state.set(file, 2);
}
for (const file of graph.keys()) if (state.get(file) === undefined) visit(file, []);

if (cycles.length > 0) {
  for (const cycle of cycles) console.error(`import cycle: ${cycle.map((f) => relative(process.cwd(), f)).join(' -> ')}`);
  process.exit(1);
}
console.log(`no import cycles among ${graph.size} modules`);
