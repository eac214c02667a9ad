// Every TypeScript block in README.md must compile against the real API, so the README cannot
// drift from the code.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');

describe('README.md', () => {
  it('has TypeScript examples that type-check', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    const dir = join(root, 'test/docs/.readme-blocks');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const files = blocks.map((code, i) => {
      const file = join(dir, `block-${i}.ts`);
      writeFileSync(file, `${code}\nexport {};\n`);
      return file;
    });
    try {
      const config = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
      const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
      const program = ts.createProgram(files, { ...parsed.options, noEmit: true, noUnusedLocals: true });
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
