/**
 * W3C `tracestate` with the OpenTelemetry `ot` entry (`trace/tracestate-handling.md`): a
 * comma-separated list of `vendor=value` members, where `ot`'s value is a semicolon-separated
 * list of `key:value` sub-keys, among them the sampling threshold `th` and the explicit
 * randomness `rv`. Only the `ot` entry is read closely; other members pass through as they are.
 * Parsing scans the text once, without splitting it, as it runs for every span that has one.
 */
import { parseRValue, parseTValue, type Unsigned56 } from './sampling-threshold.js';

/** A parsed `tracestate`. */
export interface ParsedTraceState {
  /** The `rv` sub-key as written, if any. */
  readonly rv: string | undefined;
  /** Its value. */
  readonly randomness: Unsigned56 | undefined;
  /** The `th` sub-key as written, if any. */
  readonly th: string | undefined;
  /** Its value. */
  readonly threshold: Unsigned56 | undefined;
  /** The `ot` entry's other sub-keys, as `key:value` joined by `;`, in order (empty when none). */
  readonly otOther: string;
  /** The other members of the list, as written (without surrounding blanks), joined by `,`. */
  readonly members: string;
}

/** The empty tracestate. */
export const EMPTY_TRACE_STATE: ParsedTraceState = Object.freeze({
  rv: undefined,
  randomness: undefined,
  th: undefined,
  threshold: undefined,
  otOther: '',
  members: '',
});

const OT_MEMBER = /^[a-z][a-z0-9]*:[A-Za-z0-9._-]*$/;
/** The longest `ot` value the specification allows. */
const MAX_OT_LENGTH = 256;

/**
 * Parses a `tracestate`. Returns a description of the problem instead when its `ot` entry is
 * malformed: a sub-key not shaped `key:value`, a `th` that is not 1 to 14 hex digits, an `rv`
 * that is not 14. Empty members are skipped; a second `ot` member is dropped.
 */
export function parseTraceState(text: string): ParsedTraceState | string {
  if (typeof text !== 'string' || text.length === 0) return EMPTY_TRACE_STATE;
  let ot: string | undefined;
  let members = '';
  const length = text.length;
  let start = 0;
  while (start <= length) {
    let end = text.indexOf(',', start);
    if (end < 0) end = length;
    let a = start;
    let b = end;
    while (a < b && isBlank(text.charCodeAt(a))) a++;
    while (b > a && isBlank(text.charCodeAt(b - 1))) b--;
    if (
      b - a >= 3 &&
      text.charCodeAt(a) === 111 &&
      text.charCodeAt(a + 1) === 116 &&
      text.charCodeAt(a + 2) === 61
    ) {
      ot ??= text.slice(a + 3, b);
    } else if (b > a) {
      const member = a === 0 && b === length ? text : text.slice(a, b);
      members = members === '' ? member : `${members},${member}`;
    }
    start = end + 1;
  }
  if (ot === undefined) return { ...EMPTY_TRACE_STATE, members };
  let rv: string | undefined;
  let th: string | undefined;
  let randomness: Unsigned56 | undefined;
  let threshold: Unsigned56 | undefined;
  let otOther = '';
  start = 0;
  while (ot !== '' && start <= ot.length) {
    let end = ot.indexOf(';', start);
    if (end < 0) end = ot.length;
    const sub = ot.slice(start, end);
    start = end + 1;
    if (sub.startsWith('th:') && th === undefined) {
      th = sub.slice(3);
      threshold = parseTValue(th);
      if (threshold === undefined) return `the tracestate's th '${th}' is not 1 to 14 hex digits`;
    } else if (sub.startsWith('rv:') && rv === undefined) {
      rv = sub.slice(3);
      randomness = parseRValue(rv);
      if (randomness === undefined) return `the tracestate's rv '${rv}' is not 14 hex digits`;
    } else if (OT_MEMBER.test(sub)) otOther = otOther === '' ? sub : `${otOther};${sub}`;
    else return `the tracestate's ot entry has a malformed sub-key '${sub}'`;
  }
  return { rv, randomness, th, threshold, otOther, members };
}

/**
 * Writes a tracestate back with `th` set to `tvalue` (or removed, when `undefined`): the `ot`
 * entry first (`rv`, `th`, then its other sub-keys), then the other members. Returns
 * `undefined` when the `ot` entry would pass the 256 characters the specification allows.
 */
export function formatTraceState(state: ParsedTraceState, tvalue: string | undefined): string | undefined {
  let ot = state.rv === undefined ? '' : `rv:${state.rv}`;
  if (tvalue !== undefined) ot = ot === '' ? `th:${tvalue}` : `${ot};th:${tvalue}`;
  if (state.otOther !== '') ot = ot === '' ? state.otOther : `${ot};${state.otOther}`;
  if (ot.length > MAX_OT_LENGTH) return undefined;
  if (ot === '') return state.members;
  return state.members === '' ? `ot=${ot}` : `ot=${ot},${state.members}`;
}

function isBlank(code: number): boolean {
  return code === 32 || code === 9;
}
