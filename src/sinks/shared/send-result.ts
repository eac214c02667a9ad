/**
 * What a sink does with the end of a send: a delivery makes it healthy and accounts the request's
 * items as sent; a rejection is an error, makes it unhealthy and accounts them as rejected (to be
 * counted as dropped with the reason); an abort (the sink stopped) accounts them as failed.
 */
import type { ComponentContext } from '../../core/component.js';
import type { SendResult } from '../remote-write/sender.js';
import { recordOutcome, type TrackedEntry } from './item-outcome.js';

/**
 * Reports `result` and records it on the trackers of `entries`. `rejected` words the health
 * message of a rejection from the error's message.
 */
export function recordSendResult(
  context: ComponentContext,
  entries: readonly TrackedEntry[],
  result: SendResult,
  rejected: (message: string) => string,
): void {
  if (result.status === 'sent') {
    context.setHealth('healthy');
    recordOutcome(entries, { status: 'sent' });
  } else if (result.status === 'rejected') {
    context.error('sending', result.error);
    context.setHealth('unhealthy', rejected(result.error.message));
    recordOutcome(entries, { status: 'rejected', reason: result.reason });
  } else {
    recordOutcome(entries, { status: 'failed', error: result.error });
  }
}
