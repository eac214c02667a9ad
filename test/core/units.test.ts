import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { durationOption, parseByteSize, parseDuration } from '../../src/core/units.js';

describe('parseDuration', () => {
  it.each([
    ['15s', 15_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1w', 604_800_000],
    ['1y', 31_536_000_000],
    ['1h1m1s1ms', 3_661_001],
    ['0', 0],
    [250, 250],
  ])('reads %s', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each(['', '15', '1.5s', 's', '1s1m', '-1s', '10 s', '1x'])('rejects %j', (input) => {
    expect(() => parseDuration(input)).toThrow(RangeError);
  });

  it('rejects negative and non-finite numbers', () => {
    expect(() => parseDuration(-1)).toThrow(RangeError);
    expect(() => parseDuration(Number.NaN)).toThrow(RangeError);
  });

  it('names the option in a ConfigError', () => {
    expect(() => durationOption('scrape', 'interval', '15x')).toThrow(ConfigError);
    expect(() => durationOption('scrape', 'interval', '15x')).toThrow(
      /scrape: option 'interval' '15x' is not a duration/,
    );
    expect(() => durationOption('scrape', 'interval', '0', 1)).toThrow(/at least 1ms/);
  });
});

describe('parseByteSize', () => {
  it.each([
    ['10MiB', 10 * 1024 * 1024],
    ['512KiB', 512 * 1024],
    ['1GB', 1e9],
    ['1.5KB', 1500],
    ['100', 100],
    ['2k', 2048],
    [4096, 4096],
  ])('reads %s', (input, expected) => {
    expect(parseByteSize(input)).toBe(expected);
  });

  it.each(['', 'MiB', '10XB', '-1KB', '1 0MB'])('rejects %j', (input) => {
    expect(() => parseByteSize(input)).toThrow(RangeError);
  });
});
