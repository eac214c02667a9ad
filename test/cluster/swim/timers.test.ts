/**
 * The protocol's arithmetic and small parts, against memberlist's: suspicion timeouts, the
 * Lifeguard confirmation curve, local health awareness, the gossip queue's retransmit limits and
 * ordering, and the random helpers.
 */
import { describe, expect, it } from 'vitest';
import { Awareness } from '../../../src/cluster/swim/awareness.js';
import { BroadcastQueue, retransmitLimit } from '../../../src/cluster/swim/broadcast-queue.js';
import { kRandom, shuffle } from '../../../src/cluster/swim/clock.js';
import { pushPullScale } from '../../../src/cluster/swim/settings.js';
import { remainingSuspicionTime, Suspicion, suspicionTimeout } from '../../../src/cluster/swim/suspicion.js';
import { ManualClock, seeded } from './harness.js';

describe('suspicion timeouts', () => {
  it('scale with log10 of the cluster size, never below one probe interval multiple', () => {
    // memberlist's util_test: TestSuspicionTimeout with suspicionMult 3, interval 1s.
    const cases: [number, number][] = [
      [5, 3000],
      [10, 3000],
      [50, 5097],
      [100, 6000],
      [500, 8097],
      [1000, 9000],
    ];
    for (const [n, expected] of cases) expect(suspicionTimeout(3, n, 1000)).toBeCloseTo(expected, -1);
    expect(suspicionTimeout(4, 1, 1000)).toBe(4000);
  });

  it('fall from the maximum to the minimum on a log scale of confirmations', () => {
    // memberlist's suspicion_test: TestSuspicion_remainingSuspicionTime.
    expect(remainingSuspicionTime(0, 3, 0, 2000, 30_000)).toBe(30_000);
    expect(remainingSuspicionTime(1, 3, 2000, 2000, 30_000)).toBe(14_000);
    expect(remainingSuspicionTime(2, 3, 3000, 2000, 30_000)).toBe(4810);
    expect(remainingSuspicionTime(3, 3, 4000, 2000, 30_000)).toBe(-2000);
    expect(remainingSuspicionTime(4, 3, 5000, 2000, 30_000)).toBe(-3000);
    expect(remainingSuspicionTime(5, 3, 10_000, 2000, 30_000)).toBe(-8000);
  });

  it('fire at the maximum without confirmations and sooner with each', async () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    const s = new Suspicion(clock, 'accuser', 3, 2000, 30_000, (n) => fired.push(n));
    expect(s.confirm('accuser')).toBe(false);
    await clock.advance(1000);
    expect(s.confirm('b')).toBe(true);
    expect(s.confirm('b')).toBe(false);
    // One of three confirmations: 30s - log(2)/log(4) * 28s = 16s from the start.
    await clock.advance(14_999);
    expect(fired).toEqual([]);
    await clock.advance(1);
    expect(fired).toEqual([1]);
  });

  it('fire at the minimum from the start when no confirmations are wanted', async () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    new Suspicion(clock, 'a', 0, 2000, 30_000, (n) => fired.push(n));
    await clock.advance(2000);
    expect(fired).toEqual([0]);
  });

  it('stop accepting confirmations once k arrived, and never fire after cancel', async () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    const s = new Suspicion(clock, 'a', 2, 2000, 30_000, (n) => fired.push(n));
    expect(s.confirm('b')).toBe(true);
    expect(s.confirm('c')).toBe(true);
    expect(s.confirm('d')).toBe(false);
    expect(s.confirmations).toBe(2);
    s.cancel();
    await clock.advance(60_000);
    expect(fired).toEqual([]);
  });
});

describe('awareness', () => {
  it('keeps the score within [0, max - 1] and scales timeouts by score + 1', () => {
    const a = new Awareness(8);
    a.applyDelta(-1);
    expect(a.score).toBe(0);
    expect(a.scale(1000)).toBe(1000);
    a.applyDelta(3);
    expect(a.scale(1000)).toBe(4000);
    a.applyDelta(100);
    expect(a.score).toBe(7);
    expect(a.scale(1000)).toBe(8000);
  });
});

describe('gossip queue', () => {
  it('retransmits retransmitMult * ceil(log10(n + 1)) times', () => {
    expect(retransmitLimit(3, 0)).toBe(0);
    expect(retransmitLimit(3, 1)).toBe(3);
    expect(retransmitLimit(3, 99)).toBe(6);
    expect(retransmitLimit(4, 100)).toBe(12);
  });

  it('replaces a queued message about the same node and finishes the old one', () => {
    const q = new BroadcastQueue(4, () => 10);
    const finished: string[] = [];
    q.push('a', Uint8Array.of(1), () => finished.push('a1'));
    q.push('b', Uint8Array.of(2));
    q.push('a', Uint8Array.of(3), () => finished.push('a2'));
    expect(finished).toEqual(['a1']);
    expect(q.length).toBe(2);
    expect(q.take(2, 100).map((m) => m[0])).toEqual([3, 2]);
  });

  it('sends the least-sent first, the largest that fits, within the byte limit', () => {
    const q = new BroadcastQueue(1, () => 1);
    q.push('small', new Uint8Array(10));
    q.push('big', new Uint8Array(50));
    q.push('mid', new Uint8Array(30));
    // 2 bytes of overhead each: 52 + 32 fit in 90, 12 more do not.
    expect(q.take(2, 90).map((m) => m.length)).toEqual([50, 30]);
    // The limit is 1 transmit: those two are done; the small one goes next.
    expect(q.take(2, 90).map((m) => m.length)).toEqual([10]);
    expect(q.length).toBe(0);
    expect(q.take(2, 90)).toEqual([]);
  });

  it('prefers messages sent fewer times', () => {
    const q = new BroadcastQueue(4, () => 10);
    q.push('a', Uint8Array.of(1));
    expect(q.take(2, 3)).toHaveLength(1);
    q.push('b', Uint8Array.of(2));
    expect(q.take(2, 3).map((m) => m[0])).toEqual([2]);
  });

  it('drops the most-sent messages past its capacity', () => {
    const q = new BroadcastQueue(4, () => 10, 2);
    const finished: string[] = [];
    q.push('a', Uint8Array.of(1), () => finished.push('a'));
    q.take(2, 100);
    q.push('b', Uint8Array.of(2), () => finished.push('b'));
    q.push('c', Uint8Array.of(3), () => finished.push('c'));
    expect(finished).toEqual(['a']);
    expect(q.length).toBe(2);
    q.clear();
    expect(finished.sort()).toEqual(['a', 'b', 'c']);
  });
});

describe('helpers', () => {
  it('kRandom picks distinct accepted items, at most k, exhaustively for small lists', () => {
    const random = seeded(42);
    const items = [1, 2, 3, 4, 5, 6];
    for (let i = 0; i < 50; i++) {
      const picked = kRandom(3, items, (n) => n % 2 === 0, random);
      expect(new Set(picked).size).toBe(picked.length);
      expect(picked.every((n) => n % 2 === 0)).toBe(true);
    }
    expect(kRandom(5, items, (n) => n === 4, random)).toEqual([4]);
    expect(kRandom(3, [], () => true, random)).toEqual([]);
  });

  it('shuffle keeps every item', () => {
    const items = [1, 2, 3, 4, 5, 6, 7];
    shuffle(items, seeded(3));
    expect([...items].sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('push/pull slows down past 32 nodes', () => {
    expect(pushPullScale(30_000, 32)).toBe(30_000);
    expect(pushPullScale(30_000, 33)).toBe(60_000);
    expect(pushPullScale(30_000, 65)).toBe(90_000);
  });
});
