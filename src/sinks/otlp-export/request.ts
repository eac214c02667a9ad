/**
 * Turns a request's items into an OTLP export body (protobuf or JSON, gzipped or not), and reads
 * the `partial_success` of an export response and the `google.rpc.Status` of an error answer.
 * Spans are sent as they are; log entries and metric samples are converted to OTLP log records
 * and metrics first.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { LogEntry, MetricSample, Span } from '../../core/signals.js';
import { entriesToOtlpLogs, samplesToOtlpMetrics } from '../../protocols/otlp/convert/index.js';
import { decodeOtlpJsonResponse } from '../../protocols/otlp/json-decode.js';
import { encodeOtlpJson } from '../../protocols/otlp/json-encode.js';
import { decodeOtlpExportResponse } from '../../protocols/otlp/proto-decode.js';
import { encodeOtlpProto } from '../../protocols/otlp/proto-encode.js';
import { decodeRpcStatus } from '../../protocols/otlp/status.js';
import type { OtlpPartialSuccess, OtlpSignals } from '../../protocols/otlp/types.js';
import type { OtlpItem } from '../../protocols/wal-records/index.js';
import type { PostResult } from '../remote-write/http-client.js';
import type { OtlpExportSignal } from './options.js';

const gzipAsync = promisify(gzip);

/** The most of an error answer's text that goes in messages. */
const MAX_ERROR_TEXT = 1024;

/** The media types of the two encodings. */
export const CONTENT_TYPE = { protobuf: 'application/x-protobuf', json: 'application/json' } as const;

/** How bodies are written. */
export interface BodyFormat {
  readonly encoding: 'protobuf' | 'json';
  readonly compression: 'gzip' | 'none';
}

/**
 * The body of an export request for `items` of `signal`: spans, log entries and metric samples,
 * or, with `otlp`, items already of the signal's OTLP type (as read back from a write-ahead log).
 */
export async function buildBody(
  signal: OtlpExportSignal,
  items: readonly unknown[],
  format: BodyFormat,
  otlp = false,
): Promise<Uint8Array> {
  const request = otlp ? items : toOtlp(signal, items);
  const raw =
    format.encoding === 'json'
      ? Buffer.from(encodeOtlpJson(signal, request as readonly OtlpSignals[typeof signal][]), 'utf8')
      : encodeOtlpProto(signal, request as readonly OtlpSignals[typeof signal][]);
  return format.compression === 'gzip' ? await gzipAsync(raw) : raw;
}

/** Spans as they are; log entries and metric samples converted to OTLP log records and metrics. */
export function toOtlp(signal: OtlpExportSignal, items: readonly unknown[]): readonly OtlpItem[] {
  if (signal === 'traces') return items as readonly Span[];
  if (signal === 'logs') return entriesToOtlpLogs(items as readonly LogEntry[]);
  return samplesToOtlpMetrics(items as readonly MetricSample[]);
}

/**
 * The `partial_success` of a 2xx answer, read as protobuf or JSON by its Content-Type, as the
 * Collector's exporter does; `undefined` when the body is empty or of another type (full
 * success). Throws when the body cannot be read.
 */
export function partialSuccessOf(response: PostResult): OtlpPartialSuccess | undefined {
  if (response.bytes.byteLength === 0) return undefined;
  const mediaType = mediaTypeOf(response);
  if (mediaType !== CONTENT_TYPE.protobuf && mediaType !== CONTENT_TYPE.json) return undefined;
  if (response.truncated) throw new Error(`the answer's body is over ${response.bytes.byteLength} bytes`);
  if (mediaType === CONTENT_TYPE.protobuf) return decodeOtlpExportResponse(response.bytes);
  return decodeOtlpJsonResponse(new TextDecoder().decode(response.bytes));
}

/**
 * The text of an error answer for messages: the `message` of the `google.rpc.Status` it carries
 * (protobuf or JSON, by its Content-Type), else its body as text; nothing for a protobuf body
 * that does not read as a status.
 */
export function errorTextOf(response: PostResult): string {
  const mediaType = mediaTypeOf(response);
  if (mediaType === CONTENT_TYPE.protobuf) {
    const status = response.truncated ? undefined : decodeRpcStatus(response.bytes);
    return status?.message.slice(0, MAX_ERROR_TEXT) ?? '';
  }
  if (mediaType === CONTENT_TYPE.json && !response.truncated) {
    try {
      const status: unknown = JSON.parse(new TextDecoder().decode(response.bytes));
      const message = (status as { message?: unknown } | null)?.message;
      if (typeof message === 'string') return message.slice(0, MAX_ERROR_TEXT);
    } catch {
      // Not JSON after all: its text will do.
    }
  }
  return response.body;
}

/** The media type of an answer's Content-Type, lower-cased, without parameters. */
function mediaTypeOf(response: PostResult): string | undefined {
  const header = response.headers['content-type'];
  return (Array.isArray(header) ? header[0] : header)?.split(';')[0]?.trim().toLowerCase();
}
