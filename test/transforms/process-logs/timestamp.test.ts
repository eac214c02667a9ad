// Timestamps: Go layouts, named layouts and Unix formats parsed as Go's time.Parse does, and the
// timestamp stage's fallback formats, location and actionOnFailure ('fudge' / 'skip').
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../../src/core/errors.js';
import { timestampParser } from '../../../src/transforms/process-logs/go-time.js';
import { json, timestamp } from '../../../src/transforms/process-logs/index.js';
import { entry, errors, run, T0 } from './helpers.js';

const ns = (iso: string, extraNanos = 0n): bigint => BigInt(Date.parse(iso)) * 1_000_000n + extraNanos;

describe('Go time layouts', () => {
  const cases: readonly [string, string, bigint | undefined][] = [
    ['RFC3339', '2024-05-01T10:20:30Z', ns('2024-05-01T10:20:30Z')],
    ['RFC3339', '2024-05-01T10:20:30+02:00', ns('2024-05-01T08:20:30Z')],
    ['RFC3339', '2024-05-01T10:20:30.5-01:30', ns('2024-05-01T11:50:30.500Z')],
    ['RFC3339', '2024-02-30T10:20:30Z', undefined],
    ['RFC3339', '2024-05-01 10:20:30Z', undefined],
    ['RFC3339', '2024-05-01T24:00:00Z', undefined],
    ['RFC3339Nano', '2024-05-01T10:20:30.123456789Z', ns('2024-05-01T10:20:30.123Z', 456789n)],
    ['RFC3339Nano', '2024-05-01T10:20:30.1234567891Z', ns('2024-05-01T10:20:30.123Z', 456789n)],
    ['RFC3339Nano', '2024-05-01T10:20:30Z', ns('2024-05-01T10:20:30Z')],
    ['RFC1123', 'Wed, 01 May 2024 10:20:30 UTC', ns('2024-05-01T10:20:30Z')],
    ['RFC1123', 'Wed, 01 May 2024 10:20:30 GMT', ns('2024-05-01T10:20:30Z')],
    ['RFC1123Z', 'Wed, 01 May 2024 10:20:30 -0700', ns('2024-05-01T17:20:30Z')],
    ['RFC822', '01 May 24 10:20 UTC', ns('2024-05-01T10:20:00Z')],
    ['RFC822Z', '01 May 24 10:20 +0100', ns('2024-05-01T09:20:00Z')],
    ['RFC850', 'Wednesday, 01-May-24 10:20:30 UTC', ns('2024-05-01T10:20:30Z')],
    ['ANSIC', 'Wed May  1 10:20:30 2024', ns('2024-05-01T10:20:30Z')],
    ['UnixDate', 'Wed May  1 10:20:30 UTC 2024', ns('2024-05-01T10:20:30Z')],
    ['RubyDate', 'Wed May 01 10:20:30 +0000 2024', ns('2024-05-01T10:20:30Z')],
    ['Unix', '1714558830', ns('2024-05-01T10:20:30Z')],
    ['Unix', '1714558830.25', ns('2024-05-01T10:20:30.250Z')],
    ['Unix', '1714558830.000000001', ns('2024-05-01T10:20:30Z', 1n)],
    ['Unix', '1714558830.5.5', undefined],
    ['Unix', 'abc', undefined],
    ['UnixMs', '1714558830123', ns('2024-05-01T10:20:30.123Z')],
    ['UnixMs', '1714558830123.5', undefined],
    ['UnixUs', '1714558830123456', ns('2024-05-01T10:20:30.123Z', 456000n)],
    ['UnixNs', '1714558830123456789', ns('2024-05-01T10:20:30.123Z', 456789n)],
    ['2006-01-02 15:04:05', '2024-05-01 10:20:30', ns('2024-05-01T10:20:30Z')],
    ['2006-01-02 15:04:05', '2024-05-01 10:20:30.75', ns('2024-05-01T10:20:30.750Z')],
    ['2006-01-02T15:04:05.000Z07:00', '2024-05-01T10:20:30.123Z', ns('2024-05-01T10:20:30.123Z')],
    ['2006-01-02T15:04:05.000Z07:00', '2024-05-01T10:20:30.12Z', undefined],
    ['2006-01-02T15:04:05.999Z07:00', '2024-05-01T10:20:30Z', ns('2024-05-01T10:20:30Z')],
    ['02/Jan/2006:15:04:05 -0700', '10/Oct/2000:13:55:36 -0700', ns('2000-10-10T20:55:36Z')],
    ['02/Jan/2006:15:04:05 -0700', '10/oct/2000:13:55:36 -0700', ns('2000-10-10T20:55:36Z')],
    ['2006-01-02 3:04:05 PM', '2024-05-01 1:02:03 PM', ns('2024-05-01T13:02:03Z')],
    ['2006-01-02 3:04:05 PM', '2024-05-01 12:02:03 AM', ns('2024-05-01T00:02:03Z')],
    ['2006-01-02 3:04:05 PM', '2024-05-01 1:02:03 XM', undefined],
    ['2006-1-2', '2024-5-1', ns('2024-05-01T00:00:00Z')],
    ['2006-01-02', '2024-5-1', undefined],
    ['2006-002', '2024-060', ns('2024-02-29T00:00:00Z')],
    ['06-01-02', '69-01-02', ns('1969-01-02T00:00:00Z')],
    ['06-01-02', '68-01-02', ns('2068-01-02T00:00:00Z')],
    ['2006-01-02 15:04:05 -07:00:00', '2024-05-01 10:20:30 +01:30:15', ns('2024-05-01T08:50:15Z')],
    ['2006-01-02 15:04:05 Z07', '2024-05-01 10:20:30 +02', ns('2024-05-01T08:20:30Z')],
    ['2006-01-02 15:04:05 MST', '2024-05-01 10:20:30 PDT', ns('2024-05-01T10:20:30Z')],
    ['2006-01-02  15:04', '2024-05-01 10:20', ns('2024-05-01T10:20:00Z')],
    ['2006-01-02 15:04', '2024-05-01 10:20 trailing', undefined],
    ['Monday 2006-01-02', 'Friday 2024-05-03', ns('2024-05-03T00:00:00Z')],
    ['Monday 2006-01-02', 'Fryday 2024-05-03', undefined],
  ];
  it.each(cases)('%s parses %j', (format, text, expected) => {
    expect(timestampParser(format)(text)).toBe(expected);
  });

  it('applies a location to layouts without a zone, across daylight saving time', () => {
    const parse = timestampParser('2006-01-02 15:04:05', 'America/New_York');
    expect(parse('2024-01-15 12:00:00')).toBe(ns('2024-01-15T17:00:00Z'));
    expect(parse('2024-07-15 12:00:00')).toBe(ns('2024-07-15T16:00:00Z'));
  });

  it('keeps an explicit offset over the location, and ignores the location for named layouts', () => {
    expect(timestampParser('2006-01-02 15:04:05 -0700', 'Asia/Tokyo')('2024-01-15 12:00:00 +0000')).toBe(
      ns('2024-01-15T12:00:00Z'),
    );
    expect(timestampParser('RFC1123', 'Asia/Tokyo')('Mon, 15 Jan 2024 12:00:00 UTC')).toBe(
      ns('2024-01-15T12:00:00Z'),
    );
  });

  it("reads the location's own abbreviation", () => {
    const parse = timestampParser('2006-01-02 15:04:05 MST', 'America/New_York');
    expect(parse('2024-01-15 12:00:00 EST')).toBe(ns('2024-01-15T17:00:00Z'));
  });

  it('takes the current year for layouts without one, the previous one for December read in January', () => {
    const january = () => Date.parse('2025-01-02T00:00:00Z');
    const parse = timestampParser('Jan _2 15:04:05', undefined, january);
    expect(parse('Dec 31 23:59:59')).toBe(ns('2024-12-31T23:59:59Z'));
    expect(parse('Jan  1 00:00:01')).toBe(ns('2025-01-01T00:00:01Z'));
    expect(parse('Feb 29 00:00:00')).toBe(ns('2025-03-01T00:00:00Z'));
  });
});

describe('timestamp stage', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sets the timestamp from an extracted value, trying fallback formats', async () => {
    const { out, component } = await run(
      [
        json({ expressions: { ts: '' } }),
        timestamp({ source: 'ts', format: 'RFC3339Nano', fallbackFormats: ['UnixMs', '2006-01-02'] }),
      ],
      [entry('{"ts":"2024-05-01T10:20:30Z"}'), entry('{"ts":1714558830123}'), entry('{"ts":"2024-05-01"}')],
    );
    expect(out.map((e) => e.timestampNs)).toEqual([
      ns('2024-05-01T10:20:30Z'),
      ns('2024-05-01T10:20:30.123Z'),
      ns('2024-05-01T00:00:00Z'),
    ]);
    expect(errors(component)).toBe(0);
  });

  it("fudges an unparseable time to 1ns after the stream's last one", async () => {
    const stages = [json({ expressions: { ts: '' } }), timestamp({ source: 'ts', format: 'RFC3339' })];
    const { out, component } = await run(stages, [
      entry('{"ts":"garbage"}'),
      entry('{"ts":"2024-05-01T10:20:30Z"}'),
      entry('{"ts":"garbage"}'),
      entry('{"no":"ts"}'),
      entry('{"ts":"garbage"}', { app: 'other' }),
    ]);
    const base = ns('2024-05-01T10:20:30Z');
    expect(out.map((e) => e.timestampNs)).toEqual([T0, base, base + 1n, base + 2n, T0]);
    expect(errors(component)).toBe(3);
  });

  it("leaves the timestamp alone with 'skip'", async () => {
    const stages = [
      json({ expressions: { ts: '' } }),
      timestamp({ source: 'ts', format: 'RFC3339', actionOnFailure: 'skip' }),
    ];
    const { out } = await run(stages, [entry('{"ts":"2024-05-01T10:20:30Z"}'), entry('{"ts":"bad"}')]);
    expect(out.map((e) => e.timestampNs)).toEqual([ns('2024-05-01T10:20:30Z'), T0]);
  });

  it.each([
    [{ source: '', format: 'RFC3339' }, 'source'],
    [{ source: 'ts', format: '' }, 'format'],
    [{ source: 'ts', format: 'RFC3339', location: 'Mars/Olympus' }, 'location'],
    [{ source: 'ts', format: 'RFC3339', actionOnFailure: 'panic' }, 'actionOnFailure'],
    [{ source: 'ts', format: 'RFC3339', fallbackFormats: [''] }, 'fallbackFormats[0]'],
  ])('rejects %j naming the option', (options, option) => {
    let thrown: unknown;
    try {
      timestamp(options as never);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).option).toBe(option);
  });
});
