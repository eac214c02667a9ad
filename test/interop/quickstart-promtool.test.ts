import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { peerAvailable } from './peers.js';

const root = join(import.meta.dirname, '../..');
const hasPromtool = peerAvailable('/usr/bin/promtool', 'apt-get install prometheus');

/**
 * promtool's lint findings that the quickstart's output is allowed to have, because the
 * programs whose metric names it keeps get them too: node_exporter's /proc/meminfo names
 * (node_memory_MemAvailable_bytes, ...) are camelCase, and prom-client's default metrics name
 * three gauges with a _total suffix. Renaming them would break every dashboard built on them.
 */
const INHERITED_LINT = [
  /^node_memory_\w+ metric names should be written in 'snake_case' not 'camelCase'$/,
  /^nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/,
];

describe.runIf(hasPromtool)('quickstart output checked by promtool', () => {
  it('parses, and lints clean apart from the names node_exporter and prom-client use themselves', async () => {
    const child = spawn(join(root, 'node_modules/.bin/tsx'), [join(root, 'examples/quickstart.ts')], {
      cwd: root,
      env: {
        ...process.env,
        LISTEN: '127.0.0.1:0',
        DATA_DIR: mkdtempSync(join(tmpdir(), 'rivulet-promtool-')),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error('the quickstart did not listen within 10 s')),
          10_000,
        );
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const match = out.match(/serving metrics at (http:\/\/\S+)/);
          if (match) {
            clearTimeout(timer);
            resolve(match[1] as string);
          }
        });
      });
      let body = '';
      for (let i = 0; i < 50 && !(body.includes('node_load1') && body.includes('process_cpu')); i++) {
        body = await (await fetch(url)).text();
        await new Promise((r) => setTimeout(r, 100));
      }
      const check = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
      // 0: clean; 3: lint findings only; 1: the text did not parse.
      expect(check.status === 0 || check.status === 3, `promtool exit ${check.status}: ${check.stderr}`).toBe(
        true,
      );
      const findings = check.stderr.split('\n').filter(Boolean);
      const unexpected = findings.filter((line) => !INHERITED_LINT.some((allowed) => allowed.test(line)));
      expect(unexpected).toEqual([]);
      expect(body.split('\n').filter((l) => l && !l.startsWith('#')).length).toBeGreaterThan(100);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
