/**
 * Time zones for timestamps that carry no offset (RFC 3164's `Mmm dd hh:mm:ss`): a wall-clock
 * time in a named zone turned into UTC, with the zone's offsets cached per minute.
 */

/** A time zone that turns wall-clock times into UTC. */
export interface WallClockZone {
  /** The name it was made from. */
  readonly name: string;
  /** Milliseconds since the epoch of a wall-clock time (given as if it were UTC) in this zone. */
  toUtcMs(wallMs: number): number;
  /** The wall-clock time (as if it were UTC) of an instant in this zone. */
  toWallMs(utcMs: number): number;
}

const zones = new Map<string, WallClockZone>();
const MAX_CACHED_OFFSETS = 4096;

/**
 * The zone called `name`: an IANA name such as `Europe/Berlin`, `UTC`, or `Local` for the
 * process's own zone (the `TZ` environment variable).
 *
 * @throws RangeError when the name is not a time zone.
 */
export function wallClockZone(name: string): WallClockZone {
  const known = zones.get(name);
  if (known !== undefined) return known;
  let zone: WallClockZone;
  if (name === 'UTC' || name === 'Etc/UTC' || name === 'GMT' || name === 'Etc/GMT' || name === 'Z') {
    zone = { name, toUtcMs: (ms) => ms, toWallMs: (ms) => ms };
  } else if (name === 'Local') {
    zone = fromOffsets(name, (utcMs) => -new Date(utcMs).getTimezoneOffset() * 60_000);
  } else {
    let format: Intl.DateTimeFormat;
    try {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone: name,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        era: 'short',
      });
    } catch {
      throw new RangeError(
        `'${name}' is not a time zone: use an IANA name such as 'Europe/Berlin', 'UTC' or 'Local'`,
      );
    }
    zone = fromOffsets(name, (utcMs) => offsetOf(format, utcMs));
  }
  zones.set(name, zone);
  return zone;
}

/** A zone from a function giving its offset at an instant, cached by minute. */
function fromOffsets(name: string, offsetAt: (utcMs: number) => number): WallClockZone {
  const cache = new Map<number, number>();
  const cachedOffset = (utcMs: number): number => {
    const minute = Math.floor(utcMs / 60_000);
    let offset = cache.get(minute);
    if (offset === undefined) {
      if (cache.size >= MAX_CACHED_OFFSETS) cache.clear();
      offset = offsetAt(minute * 60_000);
      cache.set(minute, offset);
    }
    return offset;
  };
  return {
    name,
    toWallMs: (utcMs) => utcMs + cachedOffset(utcMs),
    toUtcMs(wallMs) {
      // Two passes settle on the offset in force at the result; in a gap (clocks going forward)
      // this lands past it, in an overlap (clocks going back) on the earlier instant.
      const first = wallMs - cachedOffset(wallMs);
      const second = wallMs - cachedOffset(first);
      return second === first ? first : wallMs - cachedOffset(second);
    },
  };
}

/** The offset east of UTC, in milliseconds, of a zone at an instant. */
function offsetOf(format: Intl.DateTimeFormat, utcMs: number): number {
  const fields: Record<string, string> = {};
  for (const part of format.formatToParts(new Date(utcMs))) fields[part.type] = part.value;
  let year = Number(fields.year);
  if (fields.era === 'BC' || fields.era === 'B') year = 1 - year;
  const wall = Date.UTC(
    2000,
    Number(fields.month) - 1,
    Number(fields.day),
    Number(fields.hour),
    Number(fields.minute),
    Number(fields.second),
  );
  const shifted = new Date(wall);
  shifted.setUTCFullYear(year);
  // utcMs is a whole minute, so the seconds of the wall time are those of the offset alone.
  return shifted.getTime() - utcMs;
}
