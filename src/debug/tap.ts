/**
 * The live tap: a component's sampled items as server-sent events. Each stream is bounded: an
 * event is written only while the response's buffered bytes stay under the bound, and dropped
 * (and counted, in the next event's `dropped` field and a comment line) otherwise, so a client
 * that reads slowly or not at all never makes the server buffer more. The tap is unsubscribed
 * when the client goes away or the server closes.
 */
import type { ServerResponse } from 'node:http';
import type { Subscription } from 'rxjs';
import type { ComponentInfo } from '../core/component.js';
import { tapEventJson } from './tap-json.js';

/** The bytes chunked transfer encoding adds around each write: its length in hex and two CRLFs. */
const CHUNK_FRAMING = 16;

/** A live tap stream, as `DebugServerHandle.taps()` reports it. */
export interface TapStreamStats {
  /** The id of the component tapped. */
  readonly component: string;
  readonly direction: 'in' | 'out' | 'both';
  /** The most items a second passed on. */
  readonly rate: number;
  /** Events written to the client. */
  readonly sentEvents: number;
  /** Events dropped because the client read too slowly. */
  readonly droppedEvents: number;
  /** Bytes the response holds now, not yet taken by the client. */
  readonly bufferedBytes: number;
  /** The most bytes the response has held after any write. */
  readonly peakBufferedBytes: number;
  /** The bound on buffered bytes. */
  readonly maxBufferedBytes: number;
}

/** Settings shared by every tap stream of a server. */
export interface TapSettings {
  readonly maxBufferedBytes: number;
  readonly keepAliveMs: number;
}

/** The parameters of one tap request. */
export interface TapRequest {
  readonly direction: 'in' | 'out' | 'both';
  readonly rate: number;
}

class TapStream {
  private sentEvents = 0;
  private droppedEvents = 0;
  private droppedSinceLast = 0;
  private peakBufferedBytes = 0;
  private sequence = 0;
  private readonly subscription: Subscription;
  private readonly keepAlive: NodeJS.Timeout;
  private ended = false;

  constructor(
    readonly component: ComponentInfo,
    private readonly request: TapRequest,
    private readonly response: ServerResponse,
    private readonly settings: TapSettings,
    private readonly onEnd: (stream: TapStream) => void,
  ) {
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      'X-Content-Type-Options': 'nosniff',
    });
    this.write(`: tapping ${component.id} direction=${request.direction} rate=${request.rate}\n\n`);
    response.on('close', () => this.end());
    this.subscription = component
      .tap({ direction: request.direction, maxItemsPerSecond: request.rate })
      .subscribe((event) => {
        if (this.ended) return;
        if (this.response.writableLength >= this.settings.maxBufferedBytes) return this.drop();
        const frame = `id: ${++this.sequence}\ndata: ${tapEventJson(event, this.droppedSinceLast)}\n\n`;
        const notice = this.droppedSinceLast > 0 ? `: dropped ${this.droppedSinceLast} events\n` : '';
        if (!this.write(notice + frame)) return this.drop();
        this.sentEvents++;
        this.droppedSinceLast = 0;
      });
    this.keepAlive = setInterval(() => this.write(': keep-alive\n\n'), settings.keepAliveMs);
    this.keepAlive.unref();
  }

  stats(): TapStreamStats {
    return {
      component: this.component.id,
      direction: this.request.direction,
      rate: this.request.rate,
      sentEvents: this.sentEvents,
      droppedEvents: this.droppedEvents,
      bufferedBytes: this.ended ? 0 : this.response.writableLength,
      peakBufferedBytes: this.peakBufferedBytes,
      maxBufferedBytes: this.settings.maxBufferedBytes,
    };
  }

  /** Ends the stream, telling the client why with a last `end` event when it fits. */
  close(reason: string): void {
    if (this.ended) return;
    this.write(`event: end\ndata: ${JSON.stringify({ reason })}\n\n`);
    this.response.end();
    this.end();
  }

  /** Writes `text` if it fits under the bound; returns whether it was written. */
  private write(text: string): boolean {
    if (this.ended) return false;
    const bytes = Buffer.byteLength(text) + CHUNK_FRAMING;
    if (this.response.writableLength + bytes > this.settings.maxBufferedBytes) return false;
    this.response.write(text);
    this.peakBufferedBytes = Math.max(this.peakBufferedBytes, this.response.writableLength);
    return true;
  }

  private drop(): void {
    this.droppedEvents++;
    this.droppedSinceLast++;
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.keepAlive);
    this.subscription.unsubscribe();
    this.onEnd(this);
  }
}

/** The live tap streams of one server. */
export class TapStreams {
  private readonly streams = new Set<TapStream>();

  constructor(private readonly settings: TapSettings) {}

  get size(): number {
    return this.streams.size;
  }

  /** Starts streaming `component`'s tap to `response`. */
  open(component: ComponentInfo, request: TapRequest, response: ServerResponse): void {
    if (response.destroyed) return;
    const stream = new TapStream(component, request, response, this.settings, (ended) =>
      this.streams.delete(ended),
    );
    this.streams.add(stream);
  }

  stats(): readonly TapStreamStats[] {
    return [...this.streams].map((stream) => stream.stats());
  }

  /** Ends every stream. */
  closeAll(reason: string): void {
    for (const stream of [...this.streams]) stream.close(reason);
  }
}
