/**
 * Go structs as go-msgpack encodes them with memberlist's handle: a msgpack map keyed by the Go
 * field names, in the byte order of the names (go-msgpack sorts the fields of a struct by their
 * encoded name), with `omitempty` fields left out when they hold their zero value.
 *
 * Decoding follows the Go decoder: keys may come in any order, unknown keys are skipped, `nil`
 * means the zero value, a field that is absent keeps its zero value, and a struct sent as an
 * array fills the fields in declaration order.
 *
 * @module
 */
import { TruncatedError, WireError } from './errors.js';
import type { MsgpackReader, MsgpackWriter } from './msgpack.js';

/** The Go field types memberlist's messages use. `int` is Go's 64-bit signed `int`. */
export type GoFieldKind = 'uint8' | 'uint16' | 'uint32' | 'int' | 'bool' | 'string' | 'bytes';

/** One field of a Go struct. */
export interface GoField {
  /** The Go field name, which is also the msgpack map key. */
  readonly name: string;
  readonly kind: GoFieldKind;
  /** Whether the field has the `codec:",omitempty"` tag. */
  readonly omitEmpty?: boolean;
}

/** A Go field value. */
export type GoValue = number | boolean | string | Uint8Array;

/** A Go struct's layout, prepared for encoding and decoding. */
export interface GoStruct {
  /** The Go type name, used in error messages. */
  readonly name: string;
  /** The fields in declaration order (the order of the array form). */
  readonly fields: readonly GoField[];
  /** The fields in the order go-msgpack writes them. */
  readonly sorted: readonly GoField[];
  readonly byName: ReadonlyMap<string, GoField>;
}

/** Describes a Go struct from its fields in declaration order. */
export function goStruct(name: string, fields: readonly GoField[]): GoStruct {
  // go-msgpack compares names as Go strings (bytewise); these names are ASCII, so JS order matches.
  const sorted = [...fields].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { name, fields, sorted, byName: new Map(fields.map((f) => [f.name, f])) };
}

/** Writes `values` (keyed by Go field name; a missing value is the zero value) as `layout`. */
export function encodeGoStruct(
  writer: MsgpackWriter,
  layout: GoStruct,
  values: Readonly<Record<string, GoValue | undefined>>,
): void {
  const present = layout.sorted.filter((f) => !(f.omitEmpty && isZero(f, values[f.name])));
  writer.mapHeader(present.length);
  for (const field of present) {
    writer.string(field.name);
    writeField(writer, layout, field, values[field.name]);
  }
}

/** The decoded fields of one struct, every field of the layout present (zero when not sent). */
export class GoStructValues {
  constructor(
    private readonly layout: GoStruct,
    private readonly values: Map<string, GoValue>,
  ) {}

  /** A numeric field. */
  number(name: string): number {
    const v = this.get(name);
    if (typeof v !== 'number') throw this.wrongKind(name);
    return v;
  }

  /** A bool field. */
  bool(name: string): boolean {
    const v = this.get(name);
    if (typeof v !== 'boolean') throw this.wrongKind(name);
    return v;
  }

  /** A string field. */
  string(name: string): string {
    const v = this.get(name);
    if (typeof v !== 'string') throw this.wrongKind(name);
    return v;
  }

  /** A byte-slice field (empty when nil or absent). */
  bytes(name: string): Uint8Array {
    const v = this.get(name);
    if (!(v instanceof Uint8Array)) throw this.wrongKind(name);
    return v;
  }

  private get(name: string): GoValue | undefined {
    return this.values.get(name);
  }

  private wrongKind(name: string): Error {
    // A programming error in a layout table, not bad input.
    return new TypeError(`${this.layout.name}.${name} is not declared with that kind`);
  }
}

/** Reads one struct laid out as `layout`, from a map (or, as Go allows, an array). */
export function decodeGoStruct(reader: MsgpackReader, layout: GoStruct): GoStructValues {
  const values = new Map<string, GoValue>();
  for (const field of layout.fields) values.set(field.name, zeroOf(field.kind));
  const kind = reader.peekKind();
  if (kind === 'nil') {
    reader.tryNil();
  } else if (kind === 'map') {
    const count = reader.readMapHeader();
    for (let i = 0; i < count; i++) {
      const key = reader.readString();
      const field = layout.byName.get(key);
      if (field === undefined) reader.skip();
      else values.set(field.name, readField(reader, layout, field));
    }
  } else if (kind === 'array') {
    const count = reader.readArrayHeader();
    for (let i = 0; i < count; i++) {
      const field = layout.fields[i];
      if (field === undefined) reader.skip();
      else values.set(field.name, readField(reader, layout, field));
    }
  } else {
    throw new WireError('malformed', `${layout.name}: expected a msgpack map at offset ${reader.offset}`);
  }
  return new GoStructValues(layout, values);
}

const RANGES: Record<'uint8' | 'uint16' | 'uint32' | 'int', readonly [number, number]> = {
  uint8: [0, 0xff],
  uint16: [0, 0xffff],
  uint32: [0, 0xffffffff],
  int: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

function readField(reader: MsgpackReader, layout: GoStruct, field: GoField): GoValue {
  try {
    if (reader.tryNil()) return zeroOf(field.kind);
    switch (field.kind) {
      case 'bool':
        return reader.readBool();
      case 'string':
        return reader.readString();
      case 'bytes':
        return reader.readBytes().slice();
      default: {
        const [min, max] = RANGES[field.kind];
        return reader.readInteger(min, max);
      }
    }
  } catch (err) {
    if (err instanceof WireError && !(err instanceof TruncatedError)) {
      throw new WireError(err.reason, `${layout.name}.${field.name}: ${stripPrefix(err.message)}`, {
        cause: err,
      });
    }
    throw err;
  }
}

function writeField(
  writer: MsgpackWriter,
  layout: GoStruct,
  field: GoField,
  value: GoValue | undefined,
): void {
  const v = value ?? zeroOf(field.kind);
  const bad = (): WireError =>
    new WireError('invalid', `${layout.name}.${field.name} must be ${field.kind}, got ${String(v)}`);
  switch (field.kind) {
    case 'bool':
      if (typeof v !== 'boolean') throw bad();
      writer.bool(v);
      return;
    case 'string':
      if (typeof v !== 'string') throw bad();
      writer.string(v);
      return;
    case 'bytes':
      if (!(v instanceof Uint8Array)) throw bad();
      // Go writes a nil slice as nil; memberlist never distinguishes nil from empty.
      if (v.length === 0) writer.nil();
      else writer.raw(v);
      return;
    case 'int':
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw bad();
      writer.int(v);
      return;
    default: {
      const [min, max] = RANGES[field.kind];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw bad();
      writer.uint(v);
    }
  }
}

function zeroOf(kind: GoFieldKind): GoValue {
  switch (kind) {
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'bytes':
      return new Uint8Array(0);
    default:
      return 0;
  }
}

function isZero(field: GoField, value: GoValue | undefined): boolean {
  if (value === undefined) return true;
  if (value instanceof Uint8Array) return value.length === 0;
  return value === zeroOf(field.kind);
}

function stripPrefix(message: string): string {
  return message.replace(/^memberlist wire: /, '');
}
