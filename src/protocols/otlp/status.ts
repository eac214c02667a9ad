/**
 * `google.rpc.Status`, the body OTLP/HTTP servers send with every 4xx and 5xx answer, in
 * protobuf or JSON to match the request, and the details of an OTLP/gRPC error: written, and
 * read back by {@link decodeRpcStatus}.
 */
import { ProtoReader } from '../protobuf/reader.js';
import { ProtoWriter } from '../protobuf/writer.js';

/** gRPC status codes used in OTLP answers. */
export const RPC_CODE = {
  invalidArgument: 3,
  resourceExhausted: 8,
  unauthenticated: 16,
  unavailable: 14,
  internal: 13,
  unimplemented: 12,
} as const;

/** The gRPC status code that goes with an HTTP status in an OTLP error answer. */
export function rpcCodeForHttp(status: number): number {
  if (status === 429) return RPC_CODE.resourceExhausted;
  if (status === 401) return RPC_CODE.unauthenticated;
  if (status === 404 || status === 405 || status === 415) return RPC_CODE.unimplemented;
  if (status === 503 || status === 502 || status === 504) return RPC_CODE.unavailable;
  if (status >= 500) return RPC_CODE.internal;
  return RPC_CODE.invalidArgument;
}

/** A `google.rpc.Status` with `code` and `message` (no details), as protobuf. */
export function encodeRpcStatus(code: number, message: string): Uint8Array {
  const writer = new ProtoWriter(16 + message.length * 3);
  if (code !== 0) {
    writer.uint32(0x08);
    writer.uint32(code);
  }
  if (message !== '') {
    writer.uint32(0x12);
    writer.string(message);
  }
  return writer.finish();
}

/** A `google.rpc.Status` with `code` and `message`, as OTLP/JSON. */
export function encodeRpcStatusJson(code: number, message: string): string {
  return JSON.stringify({ code, message });
}

/**
 * A `google.rpc.Status` whose details hold one `google.rpc.RetryInfo` asking the client to wait
 * `delayMs`: what an OTLP/gRPC server sends with RESOURCE_EXHAUSTED so that the client retries.
 */
export function encodeRpcStatusWithRetry(code: number, message: string, delayMs: number): Uint8Array {
  const seconds = Math.floor(delayMs / 1000);
  const nanos = Math.round((delayMs - seconds * 1000) * 1e6);
  const duration = new ProtoWriter(16);
  if (seconds !== 0) {
    duration.uint32(0x08);
    duration.uint32(seconds);
  }
  if (nanos !== 0) {
    duration.uint32(0x10);
    duration.uint32(nanos);
  }
  const retryInfo = new ProtoWriter(24);
  retryInfo.uint32(0x0a); // retry_delay
  retryInfo.bytesField(duration.finish());
  const any = new ProtoWriter(64);
  any.uint32(0x0a); // type_url
  any.string(RETRY_INFO_TYPE);
  any.uint32(0x12); // value
  any.bytesField(retryInfo.finish());
  const status = new ProtoWriter(64 + message.length * 3);
  status.uint32(0x08);
  status.uint32(code);
  if (message !== '') {
    status.uint32(0x12);
    status.string(message);
  }
  status.uint32(0x1a); // details
  status.bytesField(any.finish());
  return status.finish();
}

/** The type URL of `google.rpc.RetryInfo` in a status's details. */
export const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo';

/**
 * A `google.rpc.Status` as read: its code, its message, and the wait a `google.rpc.RetryInfo`
 * among its details asks for, in milliseconds (rounded up).
 */
export interface RpcStatus {
  readonly code: number;
  readonly message: string;
  readonly retryDelayMs?: number;
}

/**
 * Reads a `google.rpc.Status` in protobuf: the body of an OTLP/HTTP error answer, or the
 * `grpc-status-details-bin` trailer of a gRPC error. Details other than a `RetryInfo` are
 * skipped. Never throws: bytes that are not a status give `undefined`.
 */
export function decodeRpcStatus(bytes: Uint8Array): RpcStatus | undefined {
  try {
    const reader = new ProtoReader(bytes);
    const end = bytes.byteLength;
    let code = 0;
    let message = '';
    let retryDelayMs: number | undefined;
    while (reader.pos < end) {
      const at = reader.pos;
      const tag = reader.tag(end);
      if (tag === 0x08) {
        reader.varint(end);
        code = reader.int64();
      } else if (tag === 0x12) {
        message = reader.string(end);
      } else if (tag === 0x1a) {
        const delay = retryDelayIn(reader, reader.delimited(end));
        if (delay !== undefined) retryDelayMs = delay;
      } else if (tag >>> 3 <= 3) {
        return undefined;
      } else {
        reader.skip(tag & 7, end, at);
      }
    }
    return retryDelayMs === undefined ? { code, message } : { code, message, retryDelayMs };
  } catch {
    return undefined;
  }
}

/** The delay of a `google.protobuf.Any` detail that holds a `RetryInfo`, read up to `end`. */
function retryDelayIn(reader: ProtoReader, end: number): number | undefined {
  let typeUrl = '';
  let value: Uint8Array | undefined;
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    if (tag === 0x0a) typeUrl = reader.string(end);
    else if (tag === 0x12) value = reader.bytesField(end);
    else reader.skip(tag & 7, end, at);
  }
  if (typeUrl !== RETRY_INFO_TYPE || value === undefined) return undefined;
  const info = new ProtoReader(value);
  let delayMs = 0;
  while (info.pos < value.byteLength) {
    const at = info.pos;
    const tag = info.tag(value.byteLength);
    if (tag === 0x0a) delayMs = durationMs(info, info.delimited(value.byteLength));
    else info.skip(tag & 7, value.byteLength, at);
  }
  return delayMs;
}

/** A `google.protobuf.Duration` read up to `end`, in whole milliseconds rounded up (never negative). */
function durationMs(reader: ProtoReader, end: number): number {
  let seconds = 0;
  let nanos = 0;
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    if (tag === 0x08) {
      reader.varint(end);
      seconds = reader.int64();
    } else if (tag === 0x10) {
      reader.varint(end);
      nanos = reader.int64();
    } else {
      reader.skip(tag & 7, end, at);
    }
  }
  return Math.max(0, Math.ceil(seconds * 1000 + nanos / 1e6));
}
