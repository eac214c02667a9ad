/** The parts of `snappyjs` (which ships no types) that rivulet uses: the snappy block format. */
declare module 'snappyjs' {
  /** Compresses `input` in the snappy block format; returns the same kind of buffer it was given. */
  export function compress<T extends Uint8Array | ArrayBuffer>(input: T): T;
  /**
   * Uncompresses a snappy block. Throws when the declared length exceeds `maxLength`, or on
   * some (not all) corrupt input.
   */
  export function uncompress<T extends Uint8Array | ArrayBuffer>(input: T, maxLength?: number): T;
}
