/**
 * The OTLP/HTTP half of the receiver for one signal: content types and encodings, decoding
 * (protobuf or JSON), the conversion of metrics and logs into rivulet's items, and answers
 * in the request's own format: an export response (with partial success when something was
 * left out) or a `google.rpc.Status`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LogEntry, MetricSample, Span } from '../../core/signals.js';
import { otlpLogsToEntries, otlpMetricsToSamples } from '../../protocols/otlp/convert/index.js';
import { decodeOtlpJson } from '../../protocols/otlp/json-decode.js';
import { encodeOtlpJsonResponse } from '../../protocols/otlp/json-encode.js';
import { decodeOtlpProto } from '../../protocols/otlp/proto-decode.js';
import { encodeOtlpExportResponse } from '../../protocols/otlp/proto-encode.js';
import { encodeRpcStatus, encodeRpcStatusJson, rpcCodeForHttp } from '../../protocols/otlp/status.js';
import type { OtlpPartialSuccess, OtlpSignal, OtlpSignals } from '../../protocols/otlp/types.js';
import { DecompressError, decompress, transportEncoding } from '../http-push/decompress.js';
import { type Decoded, type PushProtocol, PushRefusal } from '../http-push/push-request.js';

/** How the receiver turns decoded OTLP items into rivulet items. */
export interface Conversions {
  readonly metrics: Parameters<typeof otlpMetricsToSamples>[1];
  readonly logs: Parameters<typeof otlpLogsToEntries>[1];
}

type Format = 'protobuf' | 'json';

/** What one request decoded to, with what it tells the client about left-out items. */
export type DecodedOtlp<S extends OtlpSignal> = Decoded<S> & {
  readonly partial: OtlpPartialSuccess;
};

const NOUNS: Record<OtlpSignal, string> = { traces: 'spans', metrics: 'data points', logs: 'log records' };

/** The OTLP/HTTP protocol of `signal`. */
export function otlpProtocol<S extends OtlpSignal>(
  signal: S,
  maxDecompressedSize: number,
  conversions: Conversions,
): PushProtocol<S, DecodedOtlp<S>> {
  return {
    noun: NOUNS[signal],
    checkHeaders(request) {
      if (formatOf(request) === undefined) {
        return new PushRefusal(
          415,
          `Content-Type ${request.headers['content-type'] ?? '(none)'} is not supported; send application/x-protobuf or application/json`,
        );
      }
      if (transportEncoding(request.headers['content-encoding']) === undefined) {
        return new PushRefusal(
          415,
          `Content-Encoding ${request.headers['content-encoding']} is not supported; send gzip, deflate or none`,
        );
      }
      return undefined;
    },
    async decode(body, request) {
      const format = formatOf(request) ?? 'protobuf';
      const encoding = transportEncoding(request.headers['content-encoding']) ?? 'identity';
      let decoded: OtlpSignals[S][];
      try {
        const bytes = await decompress(body, encoding, maxDecompressedSize);
        decoded =
          format === 'json' ? decodeOtlpJson(signal, bytes.toString('utf8')) : decodeOtlpProto(signal, bytes);
      } catch (error) {
        const tooLarge = error instanceof DecompressError && error.tooLarge;
        throw new PushRefusal(tooLarge ? 413 : 400, (error as Error).message);
      }
      return convertOtlp(signal, decoded, conversions) as DecodedOtlp<S>;
    },
    accepted(request, response, decoded, close) {
      const format = formatOf(request) ?? 'protobuf';
      const body =
        format === 'json'
          ? Buffer.from(encodeOtlpJsonResponse(decoded.partial, signal))
          : encodeOtlpExportResponse(signal, decoded.partial);
      send(response, 200, format, body, {}, close);
    },
    refuse(request, response, status, message, headers, close) {
      const format = formatOf(request) ?? 'protobuf';
      const code = rpcCodeForHttp(status);
      const body =
        format === 'json' ? Buffer.from(encodeRpcStatusJson(code, message)) : encodeRpcStatus(code, message);
      send(response, status, format, body, headers, close);
    },
  };
}

/** Converts decoded items into rivulet items, counting what the conversion left out. */
export function convertOtlp(
  signal: OtlpSignal,
  decoded: readonly unknown[],
  conversions: Conversions,
): DecodedOtlp<OtlpSignal> {
  if (signal === 'traces') {
    const items = decoded as Span[];
    return { items, partial: FULL_SUCCESS, count: (context) => context.received(items.length) };
  }
  if (signal === 'logs') {
    const items: LogEntry[] = otlpLogsToEntries(decoded as OtlpSignals['logs'][], conversions.logs);
    return { items, partial: FULL_SUCCESS, count: (context) => context.received(items.length) };
  }
  const { samples, dropped } = otlpMetricsToSamples(decoded as OtlpSignals['metrics'][], conversions.metrics);
  const items: MetricSample[] = samples;
  let rejected = 0;
  for (const drop of dropped) rejected += drop.count;
  const partial: OtlpPartialSuccess =
    rejected === 0
      ? FULL_SUCCESS
      : {
          rejected,
          errorMessage: dropped.map((drop) => `${drop.count} ${drop.reason}`).join('; '),
        };
  return {
    items,
    partial,
    count(context) {
      context.received(items.length + rejected);
      for (const drop of dropped) if (drop.count > 0) context.dropped(drop.count, drop.reason);
    },
  };
}

const FULL_SUCCESS: OtlpPartialSuccess = Object.freeze({ rejected: 0, errorMessage: '' });

/** The body format the request's `Content-Type` names, or `undefined` for another type. */
function formatOf(request: IncomingMessage): Format | undefined {
  const header = request.headers['content-type'];
  const media = (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (media === 'application/x-protobuf' || media === 'application/protobuf') return 'protobuf';
  if (media === 'application/json') return 'json';
  return undefined;
}

function send(
  response: ServerResponse,
  status: number,
  format: Format,
  body: Uint8Array,
  headers: Readonly<Record<string, string>>,
  close: boolean,
): void {
  if (response.headersSent || response.destroyed) return;
  const all: Record<string, string> = {
    ...headers,
    'Content-Type': format === 'json' ? 'application/json' : 'application/x-protobuf',
    'Content-Length': String(body.length),
  };
  if (close) all.Connection = 'close';
  response.writeHead(status, all);
  response.end(body);
}
