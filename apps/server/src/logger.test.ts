import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createJsonLogger } from './logger.js';

const loggerModule = path.join(import.meta.dirname, 'logger.ts');

/** Runs `body` in a fresh Node process with `createJsonLogger` imported; returns its output. */
function runChild(body: string): { status: number | null; stdout: string[]; stderr: string[] } {
  const script = `import { createJsonLogger } from ${JSON.stringify(loggerModule)};\nimport { writeSync } from 'node:fs';\n${body}`;
  const result = spawnSync(process.execPath, ['--input-type=module', '--eval', script], { encoding: 'utf8', timeout: 20_000 });
  const lines = (text: string): string[] => text.split('\n').filter((line) => line !== '');
  return { status: result.status, stdout: lines(result.stdout), stderr: lines(result.stderr) };
}

describe('createJsonLogger', () => {
  it('writes one JSON object per line, drops lines below minLevel, and sends them to a custom writer', () => {
    const written: [string, string][] = [];
    const logger = createJsonLogger({ minLevel: 'info', write: (level, line) => written.push([level, line]) });
    logger.log('debug', 'hidden');
    logger.log('warn', 'disk almost full', { free_mb: 12 });
    expect(written).toHaveLength(1);
    expect(written[0]![0]).toBe('warn');
    expect(written[0]![1].endsWith('\n')).toBe(true);
    expect(JSON.parse(written[0]![1])).toMatchObject({ level: 'warn', msg: 'disk almost full', free_mb: 12, time: expect.any(String) });
  });

  it('by default writes after the current turn, in order, stdout and stderr apart, and flushes at exit', () => {
    const { status, stdout, stderr } = runChild(`
      const logger = createJsonLogger();
      logger.log('info', 'first');
      logger.log('error', 'broken', { code: 7 });
      for (let i = 0; i < 1000; i++) logger.log('info', 'burst', { i });
      // Written directly in the same turn: it comes out before the logged lines.
      writeSync(1, 'direct\\n');
      setImmediate(() => {
        logger.log('info', 'last');
        process.exit(3); // before the next turn: the exit hook writes 'last'
      });
    `);
    expect(status).toBe(3);
    expect(stdout[0]).toBe('direct');
    const lines = stdout.slice(1).map((line) => JSON.parse(line) as { msg: string; i?: number });
    expect(lines.map((line) => line.msg)).toEqual(['first', ...Array.from({ length: 1000 }, () => 'burst'), 'last']);
    expect(lines.slice(1, -1).map((line) => line.i)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(stderr.map((line) => JSON.parse(line) as unknown)).toEqual([expect.objectContaining({ level: 'error', msg: 'broken', code: 7 })]);
  });
});
