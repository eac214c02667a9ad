/**
 * Which closed segments go: those every consumer has read past once they are `minKeepalive`
 * old; any older than `maxAge`; and the oldest while the WAL is over `maxSize`. The live segment
 * always stays.
 */
import type { WalSettings } from './options.js';
import type { Segment } from './segments.js';

/** Why a segment is deleted: `sent` loses nothing; the others drop what was not yet sent. */
export type RetentionReason = 'sent' | 'max_age' | 'max_size';

/** One segment to delete. */
export interface RetentionStep {
  readonly segment: Segment;
  readonly reason: RetentionReason;
}

/** The segments to delete, oldest first. `cursorSegment` is the segment the consumer reads next. */
export function planRetention(
  segments: readonly Segment[],
  cursorSegment: number,
  nowMs: number,
  settings: Pick<WalSettings, 'maxSize' | 'maxAgeMs' | 'minKeepaliveMs'>,
): RetentionStep[] {
  const steps: RetentionStep[] = [];
  let total = 0;
  for (const segment of segments) if (!segment.evicted) total += segment.size;
  for (const segment of segments) {
    if (!segment.closed || segment.evicted) continue;
    const sent = segment.index < cursorSegment;
    const age = nowMs - segment.newestMs;
    let reason: RetentionReason | undefined;
    if (sent && age >= settings.minKeepaliveMs) reason = 'sent';
    else if (age > settings.maxAgeMs) reason = sent ? 'sent' : 'max_age';
    else if (total > settings.maxSize) reason = sent ? 'sent' : 'max_size';
    if (reason === undefined) break;
    steps.push({ segment, reason });
    total -= segment.size;
  }
  return steps;
}
