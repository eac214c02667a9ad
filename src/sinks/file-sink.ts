/**
 * `fileSink`: writes every item as one JSON line to a file that rotates by size. Takes any
 * signal kind. A batch's ack settles as delivered once its lines are written (and synced, with
 * `fsync`); a failed write settles it as failed, marks the sink unhealthy and goes on.
 */
import { concatMap, from, Observable, type OperatorFunction } from 'rxjs';
import type { Batch } from '../core/batch.js';
import { type Delivery, defineSink } from '../core/define.js';
import { ConfigError } from '../core/errors.js';
import { declareOptions } from '../core/extension-points.js';
import { SIGNAL_KINDS, type SignalKind } from '../core/signals.js';
import { type ByteSize, byteSizeOption } from '../core/units.js';
import { itemToJson } from './item-json.js';
import { RotatingFile } from './rotating-file.js';

/** Options of {@link fileSink}. */
export interface FileSinkOptions {
  /** The file to append to. Its directory is created if missing. */
  readonly path: string;
  /** A unique component id. @defaultValue `fileSink.N` */
  readonly id?: string;
  /** The size past which the file rotates. @defaultValue `'100MiB'` */
  readonly maxSize?: ByteSize;
  /** How many rotated files to keep (`path.1` ... `path.N`); 0 keeps none. @defaultValue 5 */
  readonly maxFiles?: number;
  /** Whether to fsync after each batch before acknowledging it. @defaultValue `false` */
  readonly fsync?: boolean;
}

/**
 * Appends items as JSON lines (`{"kind":"metrics","labels":{...},"value":1,"timestampMs":...}`).
 * Batches are written one at a time, in order; upstream in-flight windows bound what waits.
 *
 * @example
 * ```ts
 * hostMetrics().pipe(fileSink({ path: './data/metrics.jsonl', maxSize: '10MiB', maxFiles: 3 }));
 * ```
 */
export function fileSink<K extends SignalKind = SignalKind>(
  options: FileSinkOptions,
): OperatorFunction<Batch<K>, Delivery> {
  const type = 'fileSink';
  if (typeof options?.path !== 'string' || options.path === '') {
    throw new ConfigError(type, 'path', "is required: the file to write, such as './data/metrics.jsonl'");
  }
  const maxBytes = byteSizeOption(type, 'maxSize', options.maxSize ?? '100MiB', 1);
  const maxFiles = options.maxFiles ?? 5;
  if (!Number.isInteger(maxFiles) || maxFiles < 0) {
    throw new ConfigError(
      type,
      'maxFiles',
      `must be a whole number of files to keep (0 or more), got ${maxFiles}`,
    );
  }
  const { path } = options;
  const fsync = options.fsync ?? false;

  const sink = defineSink(
    { type, id: options.id, input: SIGNAL_KINDS },
    (context) => (upstream) =>
      new Observable<Delivery>((subscriber) => {
        const file = new RotatingFile(path, maxBytes, maxFiles, fsync);
        const write = async (batch: Batch<SignalKind>): Promise<Delivery> => {
          const lines: string[] = [];
          for (const item of batch.items) lines.push(itemToJson(batch.kind, item));
          try {
            await file.write(Buffer.from(`${lines.join('\n')}\n`));
            context.setHealth('healthy');
            return context.settle(batch, { status: 'delivered' });
          } catch (error) {
            context.setHealth('unhealthy', `writing ${path} failed: ${(error as Error).message}`);
            await file.close().catch(() => undefined);
            return context.settle(batch, { status: 'failed', error: error as Error });
          }
        };
        const subscription = upstream.pipe(concatMap((batch) => from(write(batch)))).subscribe({
          next: (delivery) => subscriber.next(delivery),
          error: (error: unknown) => {
            void file.close().finally(() => subscriber.error(error));
          },
          complete: () => {
            void file.close().finally(() => subscriber.complete());
          },
        });
        return () => {
          subscription.unsubscribe();
          void file.close().catch(() => undefined);
        };
      }),
  );
  return declareOptions(sink, { ...options });
}
