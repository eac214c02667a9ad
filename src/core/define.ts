/**
 * The one way components are made. `defineSource`, `defineTransform` and `defineSink` give a
 * component its id, kind and signal kinds, count what passes through, track health, feed the
 * tap, tag errors with the component's id and record the graph edge to its upstream.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { Ack, type AckOutcome } from './ack.js';
import type { Batch } from './batch.js';
import { type ComponentContext, type ComponentInfo, ComponentRuntime } from './component.js';
import { RivuletError, toError } from './errors.js';
import { tagStream } from './graph.js';
import { InFlightWindow } from './in-flight-window.js';
import type { ItemOf, SignalKind } from './signals.js';

/** The outcome of delivering one batch, which every sink emits downstream. */
export interface Delivery {
  /** The id of the sink. */
  readonly component: string;
  readonly kind: SignalKind;
  /** Items in the batch. */
  readonly items: number;
  readonly outcome: AckOutcome;
}

/** What a source's producer uses: the component context plus emitting and stopping. */
export interface SourceContext<K extends SignalKind> extends ComponentContext {
  /**
   * Emits items as one batch, first waiting for a slot in the in-flight window. Resolves with
   * the batch's ack once emitted. Empty item lists are not emitted.
   */
  emit(items: readonly ItemOf<K>[], ack?: Ack): Promise<Ack>;
  /**
   * Emits items as one batch only if a slot in the in-flight window is free now, returning its
   * ack; returns `undefined` (emitting nothing) when the window is full or the stream has ended.
   * Receivers use it to answer "busy" (429/503) instead of queueing.
   */
  tryEmit(items: readonly ItemOf<K>[], ack?: Ack): Ack | undefined;
  /** Aborted when the source is asked to stop (a drain) or unsubscribed. */
  readonly signal: AbortSignal;
  /**
   * Aborted only when the subscriber has gone: batches already emitted may never be settled,
   * so nothing should wait for their acks any longer. A drain aborts `signal` alone.
   */
  readonly unsubscribed: AbortSignal;
  /** The in-flight window bounding unacknowledged batches of this subscription. */
  readonly window: InFlightWindow;
}

/** The identity of a source. */
export interface SourceSpec<K extends SignalKind> {
  readonly type: string;
  readonly id?: string | undefined;
  readonly kind: K;
  /** The most batches this source leaves unacknowledged. @defaultValue 16 */
  readonly maxInFlight?: number | undefined;
}

/** A source's component info, alongside its stream. */
export type SourceStream<K extends SignalKind> = Observable<Batch<K>> & { readonly component: ComponentInfo };

/**
 * Makes a source. `produce` runs once per subscription; it emits through the context and returns
 * (or resolves) when it is done, usually once `signal` is aborted. The stream completes when it
 * returns, and errors, naming the component, when it throws.
 */
export function defineSource<K extends SignalKind>(
  spec: SourceSpec<K>,
  produce: (context: SourceContext<K>) => Promise<void> | void,
): SourceStream<K> {
  const runtime = new ComponentRuntime({ type: spec.type, id: spec.id, role: 'source', output: spec.kind });
  const maxInFlight = spec.maxInFlight ?? 16;
  const stream = new Observable<Batch<K>>((subscriber) => {
    const controller = new AbortController();
    const gone = new AbortController();
    const window = new InFlightWindow(maxInFlight);
    const unregister = runtime.onStop(() => controller.abort());
    /** Emits a batch whose window slot is already taken. */
    const send = (items: readonly ItemOf<K>[], ack: Ack): void => {
      window.track(ack);
      runtime.sent(items.length);
      if (runtime.tapping) runtime.tapItems('out', spec.kind, items);
      subscriber.next({ kind: spec.kind, items, ack });
    };
    const context: SourceContext<K> = Object.assign(contextOf(runtime), {
      signal: controller.signal,
      unsubscribed: gone.signal,
      window,
      async emit(items: readonly ItemOf<K>[], ack: Ack = new Ack()): Promise<Ack> {
        if (items.length === 0) {
          ack.dropped('empty');
          return ack;
        }
        await window.acquire();
        if (subscriber.closed) {
          window.release();
          ack.dropped('unsubscribed');
          runtime.dropped(items.length, 'unsubscribed');
          return ack;
        }
        send(items, ack);
        return ack;
      },
      tryEmit(items: readonly ItemOf<K>[], ack: Ack = new Ack()): Ack | undefined {
        if (subscriber.closed || !window.tryAcquire()) return undefined;
        if (items.length === 0) {
          window.release();
          ack.dropped('empty');
          return ack;
        }
        send(items, ack);
        return ack;
      },
    });
    runtime.setHealth('healthy');
    Promise.resolve()
      .then(() => produce(context))
      .then(
        () => {
          runtime.setHealth('exited', 'stopped');
          subscriber.complete();
        },
        (thrown: unknown) => {
          const error = attribute(thrown, runtime);
          runtime.error('receiving', error);
          runtime.setHealth('exited', error.message);
          subscriber.error(error);
        },
      );
    return () => {
      unregister();
      gone.abort();
      controller.abort();
    };
  });
  tagStream(stream, runtime, []);
  return Object.assign(stream, { component: runtime as ComponentInfo });
}

/** The identity of a transform. */
export interface TransformSpec<I extends SignalKind, O extends SignalKind> {
  readonly type: string;
  readonly id?: string | undefined;
  readonly input: I;
  readonly output: O;
}

/**
 * Makes a transform. `build` is called each time the operator is applied and returns the
 * operator that does the work; per-subscription state belongs inside the Observables it makes.
 * A transform that consumes a batch without emitting it must settle the batch's ack. The
 * operator carries its `component` (one for every use of the operator), for `declareOptions`.
 */
export function defineTransform<I extends SignalKind, O extends SignalKind>(
  spec: TransformSpec<I, O>,
  build: (context: ComponentContext) => OperatorFunction<Batch<I>, Batch<O>>,
): OperatorFunction<Batch<I>, Batch<O>> & { readonly component: ComponentInfo } {
  const runtime = new ComponentRuntime({
    type: spec.type,
    id: spec.id,
    role: 'transform',
    input: [spec.input],
    output: spec.output,
  });
  const operator: OperatorFunction<Batch<I>, Batch<O>> = (upstream) => {
    const inner = build(contextOf(runtime));
    const stream = new Observable<Batch<O>>((subscriber) => {
      runtime.setHealth('healthy');
      const counted = countIncoming(upstream, runtime);
      return inner(counted).subscribe({
        next(batch) {
          runtime.sent(batch.items.length);
          if (runtime.tapping) runtime.tapItems('out', spec.output, batch.items);
          subscriber.next(batch);
        },
        error(thrown: unknown) {
          subscriber.error(failed(thrown, runtime, 'processing'));
        },
        complete() {
          runtime.setHealth('exited', 'completed');
          subscriber.complete();
        },
      });
    });
    return tagStream(stream, runtime, [upstream]);
  };
  return Object.assign(operator, { component: runtime as ComponentInfo });
}

/** The identity of a sink. */
export interface SinkSpec<I extends SignalKind> {
  readonly type: string;
  readonly id?: string | undefined;
  /** The signal kinds the sink takes. */
  readonly input: I | readonly I[];
}

/** What a sink's implementation uses: the component context plus settling a batch. */
export interface SinkContext extends ComponentContext {
  /**
   * Settles the batch's ack with `outcome`, counts it, and returns the delivery to emit.
   * `droppedItems` says how many of its items the sink already counted with `dropped`; they are
   * counted neither as sent nor again as dropped.
   */
  settle(batch: Batch<SignalKind>, outcome: AckOutcome, droppedItems?: number): Delivery;
}

/**
 * Makes a sink. The operator `build` returns takes batches, delivers them, settles each ack
 * through {@link SinkContext.settle} and emits the resulting {@link Delivery}. It must complete
 * only once every batch it took is settled. The operator carries its `component`, as
 * {@link defineTransform}'s does.
 */
export function defineSink<I extends SignalKind>(
  spec: SinkSpec<I>,
  build: (context: SinkContext) => OperatorFunction<Batch<I>, Delivery>,
): OperatorFunction<Batch<I>, Delivery> & { readonly component: ComponentInfo } {
  const input: readonly I[] = typeof spec.input === 'string' ? [spec.input] : spec.input;
  const runtime = new ComponentRuntime({ type: spec.type, id: spec.id, role: 'sink', input });
  const context: SinkContext = Object.assign(contextOf(runtime), {
    settle(batch: Batch<SignalKind>, outcome: AckOutcome, droppedItems = 0): Delivery {
      const count = batch.items.length;
      if (outcome.status === 'delivered') runtime.sent(count - droppedItems);
      else if (outcome.status === 'dropped') runtime.dropped(count - droppedItems, outcome.reason);
      else runtime.error('sending', outcome.error);
      batch.ack.settle(outcome);
      return { component: runtime.id, kind: batch.kind, items: count, outcome };
    },
  });
  const operator: OperatorFunction<Batch<I>, Delivery> = (upstream) => {
    const inner = build(context);
    const stream = new Observable<Delivery>((subscriber) => {
      runtime.setHealth('healthy');
      return inner(countIncoming(upstream, runtime)).subscribe({
        next(delivery) {
          subscriber.next(delivery);
        },
        error(thrown: unknown) {
          subscriber.error(failed(thrown, runtime, 'sending'));
        },
        complete() {
          runtime.setHealth('exited', 'completed');
          subscriber.complete();
        },
      });
    });
    return tagStream(stream, runtime, [upstream]);
  };
  return Object.assign(operator, { component: runtime as ComponentInfo });
}

/** The reporting surface of a runtime, as a plain object whose methods need no `this`. */
function contextOf(runtime: ComponentRuntime): ComponentContext {
  return {
    id: runtime.id,
    received: (count) => runtime.received(count),
    sent: (count) => runtime.sent(count),
    dropped: (count, reason, intentional) => runtime.dropped(count, reason, intentional),
    error: (stage, error) => runtime.error(stage, error),
    setHealth: (state, message) => runtime.setHealth(state, message),
    get tapping() {
      return runtime.tapping;
    },
    tapItems: (direction, kind, items) => runtime.tapItems(direction, kind, items),
    reportQueue: (fill) => runtime.reportQueue(fill),
    request: (seconds, outcome) => runtime.request(seconds, outcome),
  };
}

function countIncoming<K extends SignalKind>(
  upstream: Observable<Batch<K>>,
  runtime: ComponentRuntime,
): Observable<Batch<K>> {
  return new Observable<Batch<K>>((subscriber) =>
    upstream.subscribe({
      next(batch) {
        runtime.received(batch.items.length);
        if (runtime.tapping) runtime.tapItems('in', batch.kind, batch.items);
        subscriber.next(batch);
      },
      error(error: unknown) {
        subscriber.error(error);
      },
      complete() {
        subscriber.complete();
      },
    }),
  );
}

/** Tags an error with the component it started in, unless an upstream component already did. */
function attribute(thrown: unknown, runtime: ComponentRuntime): RivuletError {
  if (thrown instanceof RivuletError) {
    if (thrown.component !== undefined) return thrown;
    return new RivuletError(thrown.code, thrown.message, { component: runtime.id, cause: thrown });
  }
  const error = toError(thrown);
  return new RivuletError('pipeline', error.message, { component: runtime.id, cause: error });
}

function failed(thrown: unknown, runtime: ComponentRuntime, stage: 'processing' | 'sending'): RivuletError {
  const originatedHere = !(
    thrown instanceof RivuletError &&
    thrown.component !== undefined &&
    thrown.component !== runtime.id
  );
  const error = attribute(thrown, runtime);
  if (originatedHere) {
    runtime.error(stage, error);
    runtime.setHealth('exited', error.message);
  } else {
    runtime.setHealth('exited', `upstream ${error.component} failed`);
  }
  return error;
}
