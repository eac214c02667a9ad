import { describe, expect, it } from 'vitest';
import xxhash from 'xxhash-wasm';
import { Labels } from '../../src/core/labels.js';
import { xxhash64 } from '../../src/core/xxhash64.js';

describe('Labels', () => {
  it('sorts by name and leaves out empty values', () => {
    const labels = Labels.from({ job: 'node', __name__: 'up', empty: '', instance: 'a:9100' });
    expect(labels.names()).toEqual(['__name__', 'instance', 'job']);
    expect(labels.size).toBe(3);
    expect(labels.get('empty')).toBeUndefined();
    expect(labels.metricName).toBe('up');
    expect(labels.toString()).toBe('{__name__="up", instance="a:9100", job="node"}');
  });

  it('is equal by content, whatever the input order', () => {
    const a = Labels.from({ b: '2', a: '1' });
    const b = Labels.fromEntries([
      ['a', '1'],
      ['b', '2'],
    ]);
    expect(a.equals(b)).toBe(true);
    expect(a.key()).toBe(b.key());
    expect(a.hash()).toBe(b.hash());
    expect(a.equals(Labels.from({ a: '1', b: '3' }))).toBe(false);
    expect(a.equals(Labels.from({ a: '1' }))).toBe(false);
    expect(a.compare(b)).toBe(0);
    expect(Labels.from({ a: '1' }).compare(a)).toBeLessThan(0);
  });

  it('gives different keys to different sets, whatever characters their text holds', () => {
    const joined = Labels.from({ a: 'x\xffb\xffy' });
    const split = Labels.from({ a: 'x', b: 'y' });
    expect(joined.key()).not.toBe(split.key());
    expect(joined.equals(split)).toBe(false);
  });

  it('edits through a builder without touching the original', () => {
    const base = Labels.from({ a: '1', b: '2' });
    const edited = base.builder().set('c', '3').delete('a').set('b', '20').build();
    expect(edited.toRecord()).toEqual({ b: '20', c: '3' });
    expect(base.toRecord()).toEqual({ a: '1', b: '2' });
    expect(base.builder().set('a', '1').build()).toBe(base);
    expect(base.with('a', '').toRecord()).toEqual({ b: '2' });
    expect(base.without('a', 'b')).toBe(Labels.EMPTY);
  });

  it('hashes with xxHash64 (reference vectors of the algorithm)', () => {
    const bytes = (s: string) => new TextEncoder().encode(s);
    expect(xxhash64(bytes(''))).toBe(0xef46db3751d8e999n);
    expect(xxhash64(bytes('a'))).toBe(0xd24ec4f1a98c6e5bn);
    expect(xxhash64(bytes('abc'))).toBe(0x44bc2cf5ad770999n);
  });

  it('pins the hash of fixed label sets, so a change of algorithm cannot pass unnoticed', () => {
    // name 0xff value 0xff per label, in name order: the layout of Prometheus's labels.Hash.
    expect(Labels.EMPTY.hash()).toBe(0xef46db3751d8e999n);
    expect(Labels.from({ __name__: 'up' }).hash().toString(16)).toBe(PINNED.up);
    expect(Labels.from({ __name__: 'up', instance: 'localhost:9100', job: 'node' }).hash().toString(16)).toBe(
      PINNED.upNode,
    );
    expect(Labels.from({ city: 'Zürich', emoji: '🚀' }).hash().toString(16)).toBe(PINNED.unicode);
    const long = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [`label_${i}`, `value-${i}-${'x'.repeat(20)}`]),
    );
    expect(Labels.from(long).hash().toString(16)).toBe(PINNED.long);
  });

  it('hashes a set as xxHash64 of name 0xff value 0xff per label', () => {
    const bytes = Uint8Array.from([0x61, 0xff, 0x31, 0xff, 0x62, 0xff, 0x32, 0xff]);
    expect(Labels.from({ b: '2', a: '1' }).hash()).toBe(xxhash64(bytes));
  });

  it('agrees with xxhash-wasm (an independent implementation) for every length up to 300', async () => {
    const reference = await xxhash();
    for (let length = 0; length <= 300; length++) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 131 + length * 7) & 0xff);
      expect(xxhash64(bytes)).toBe(reference.h64Raw(bytes, 0n));
    }
  });
});

const PINNED = {
  up: '23d4c2cb13387598',
  upNode: '300490ebb73c8fba',
  unicode: '32aa396066a8aa15',
  long: '3c2ea785c1de7850',
};
