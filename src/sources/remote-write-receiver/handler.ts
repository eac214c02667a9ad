/**
 * The remote write half of the receiver: routing, Prometheus's header checks, snappy and
 * protobuf decoding, and the answers (204, or 400 naming the series with invalid labels once the
 * rest were delivered).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SourceContext } from '../../core/define.js';
import {
  decodeWriteRequest,
  RemoteWriteDecodeError,
  snappyUncompress,
} from '../../protocols/remote-write/index.js';
import { answer } from '../http-push/http.js';
import type { PushOptions } from '../http-push/options.js';
import { pathOf } from '../http-push/options.js';
import {
  type Decoded,
  type PushProtocol,
  PushRefusal,
  type PushTarget,
  receivePush,
} from '../http-push/push-request.js';
import type { PushDrain } from '../http-push/push-server.js';
import { contentEncodingProblem, contentTypeProblem } from './content-headers.js';
import { type Converted, type MetadataCache, toSamples } from './convert.js';

type DecodedSamples = Decoded<'metrics'> & { readonly converted: Converted };

/** The remote write protocol of one subscription. */
export function remoteWriteProtocol(
  maxDecompressedSize: number,
  metadata: MetadataCache,
): PushProtocol<'metrics', DecodedSamples> {
  return {
    noun: 'samples',
    checkHeaders(request) {
      const problem =
        contentTypeProblem(request.headers['content-type']) ??
        contentEncodingProblem(request.headers['content-encoding']);
      return problem === undefined ? undefined : new PushRefusal(415, problem);
    },
    decode(body) {
      let converted: Converted;
      try {
        converted = toSamples(decodeWriteRequest(snappyUncompress(body, maxDecompressedSize)), metadata);
      } catch (error) {
        const tooLarge = error instanceof RemoteWriteDecodeError && error.tooLarge;
        throw new PushRefusal(tooLarge ? 413 : 400, (error as Error).message);
      }
      return { items: converted.items, converted, count: (context) => count(context, converted) };
    },
    accepted(_request, response, decoded, close) {
      const { converted } = decoded;
      if (converted.invalidSeries === 0) {
        answer(response, 204, undefined, {}, close);
        return;
      }
      answer(
        response,
        400,
        `${converted.invalidSeries} series with invalid labels dropped (${converted.invalidSamples} samples; first: ${converted.firstInvalid}); ${converted.items.length} samples accepted`,
        {},
        close,
      );
    },
    refuse(_request, response, status, message, headers, close) {
      answer(response, status, message, headers, close);
    },
  };
}

/** Routes one request: the write path takes POST; everything else is 404 or 405. */
export function handle(
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  target: PushTarget<'metrics'>,
  drain: PushDrain,
  options: PushOptions,
  protocol: PushProtocol<'metrics', DecodedSamples>,
): Promise<void> {
  if (pathOf(request.url) !== path) {
    answer(response, 404, '404 page not found');
    return Promise.resolve();
  }
  if (request.method !== 'POST') {
    answer(response, 405, 'method not allowed: remote write takes POST', { Allow: 'POST' });
    return Promise.resolve();
  }
  return receivePush(request, response, target, drain, options, protocol);
}

/** Counts what a request brought in and what of it was left out. */
function count(context: SourceContext<'metrics'>, converted: Converted): void {
  context.received(converted.total);
  if (converted.invalidSamples > 0) context.dropped(converted.invalidSamples, 'invalid_labels');
  if (converted.orphanExemplars > 0) context.dropped(converted.orphanExemplars, 'exemplar_without_sample');
}
