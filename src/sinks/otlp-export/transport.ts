/**
 * What `otlpExport` asks of a transport (OTLP/HTTP or OTLP/gRPC): send one request's body for a
 * signal, retrying as the protocol says, and tell how it ended.
 */
import type { SinkError } from '../../core/errors.js';
import type { OtlpPartialSuccess } from '../../protocols/otlp/types.js';
import type { OtlpExportSignal } from './options.js';

/** How a request ended. */
export type ExportResult =
  | {
      readonly status: 'sent';
      /**
       * The answer's `partial_success`; `undefined` for a full success. Throws when the answer
       * cannot be read.
       */
      readonly partial: () => OtlpPartialSuccess | undefined;
    }
  | { readonly status: 'rejected'; readonly reason: string; readonly error: SinkError }
  | { readonly status: 'aborted'; readonly error: SinkError };

/** One subscription's connections to the endpoint. */
export interface Transport {
  /** Sends `body` (an export request of `signal`) until it is delivered, dropped or the sink stops. Never rejects. */
  send(signal: OtlpExportSignal, body: Uint8Array): Promise<ExportResult>;
  /** Closes the connections. */
  close(): void;
}
