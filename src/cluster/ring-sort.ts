/**
 * Sorting the tokens of a `HashRing`: the one costly step of building a ring besides hashing.
 */

/**
 * Sorts tokens by position (high half, then low half) in place, carrying their owners along,
 * stably, so that tokens at the same position stay in peer order. A counting sort on the top 16
 * bits puts each token within its bucket of about one token, then an insertion sort, which
 * costs little on nearly sorted input, finishes the job: together several times faster than a
 * comparison sort for the tens of thousands of tokens of a large ring.
 * @internal
 */
export function sortTokens(high: Uint32Array, low: Uint32Array, owner: Uint32Array): void {
  const count = high.length;
  const byHigh = new Uint32Array(count);
  const byLow = new Uint32Array(count);
  const byOwner = new Uint32Array(count);
  const starts = new Uint32Array(0x10001);
  for (let i = 0; i < count; i++) {
    const next = ((high[i] as number) >>> 16) + 1;
    starts[next] = (starts[next] as number) + 1;
  }
  for (let d = 1; d <= 0xffff; d++) starts[d] = (starts[d] as number) + (starts[d - 1] as number);
  for (let i = 0; i < count; i++) {
    const digit = (high[i] as number) >>> 16;
    const at = starts[digit] as number;
    starts[digit] = at + 1;
    byHigh[at] = high[i] as number;
    byLow[at] = low[i] as number;
    byOwner[at] = owner[i] as number;
  }
  high.set(byHigh);
  low.set(byLow);
  owner.set(byOwner);
  for (let i = 1; i < count; i++) {
    const h = high[i] as number;
    const l = low[i] as number;
    const o = owner[i] as number;
    let j = i - 1;
    while (j >= 0 && precedes(h, l, o, high[j] as number, low[j] as number, owner[j] as number)) {
      high[j + 1] = high[j] as number;
      low[j + 1] = low[j] as number;
      owner[j + 1] = owner[j] as number;
      j--;
    }
    if (j < i - 1) {
      high[j + 1] = h;
      low[j + 1] = l;
      owner[j + 1] = o;
    }
  }
}

/** Whether token (h1, l1) of peer o1 sorts strictly before token (h2, l2) of peer o2. */
function precedes(h1: number, l1: number, o1: number, h2: number, l2: number, o2: number): boolean {
  return h1 < h2 || (h1 === h2 && (l1 < l2 || (l1 === l2 && o1 < o2)));
}
