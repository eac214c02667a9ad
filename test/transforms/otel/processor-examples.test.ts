// Every @example in the processors' TSDoc must compile against the real API, so the docs cannot
// drift from the code.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../..');
const sources = ['batch', 'filter', 'probabilistic-sample', 'memory-limit'];

/** The ```ts blocks of the @example tags of a source file, without the comment's ` * `. */
function examples(file: string): string[] {
  const text = readFileSync(join(root, 'src/transforms/otel', `${file}.ts`), 'utf8');
  return [...text.matchAll(/@example\n\s*\* ```ts\n([\s\S]*?)\n\s*\* ```/g)].map((m) =>
    (m[1] as string)
      .split('\n')
      .map((line) => line.replace(/^\s*\* ?/, ''))
      .join('\n'),
  );
}

const preamble = `
import type { Observable } from 'rxjs';
import type { Batch } from '../../../../src/core/batch.js';
import { batch } from '../../../../src/transforms/otel/batch.js';
import { filter } from '../../../../src/transforms/otel/filter.js';
import { memoryLimit } from '../../../../src/transforms/otel/memory-limit.js';
import { probabilisticSample } from '../../../../src/transforms/otel/probabilistic-sample.js';
declare const spans: Observable<Batch<'traces'>>;
declare const logs: Observable<Batch<'logs'>>;
void [batch, filter, memoryLimit, probabilisticSample];
`;

describe('processor TSDoc examples', () => {
  it('exist for each factory and its overloads, and type-check', () => {
    const blocks = sources.flatMap((file) => examples(file).map((code) => ({ file, code })));
    expect(new Set(blocks.map((b) => b.file))).toEqual(new Set(sources));
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    const dir = join(root, 'test/transforms/otel/.examples');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const files = blocks.map(({ file, code }, i) => {
      const path = join(dir, `${file}-${i}.ts`);
      writeFileSync(path, `${preamble}\n${code}\nexport {};\n`);
      return path;
    });
    try {
      const config = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
      const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
      const program = ts.createProgram(files, { ...parsed.options, noEmit: true });
      const problems = ts
        .getPreEmitDiagnostics(program)
        .filter((d) => d.file !== undefined && files.includes(d.file.fileName))
        .map(
          (d) =>
            `${d.file?.fileName.split('/').pop()}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
        );
      expect(problems).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
