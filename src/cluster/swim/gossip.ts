/**
 * A gossip round: queued messages go to `gossipNodes` random members that are alive, suspect, or
 * died within the gossip-to-the-dead time (so a wrongly declared node hears of it and refutes),
 * each packet filled with as many messages as fit.
 */
import { NodeState } from '../wire/messages.js';
import { COMPOUND_PART_OVERHEAD } from '../wire/packet.js';
import { kRandom } from './clock.js';
import { endpointOf, type SwimContext } from './context.js';

/** Sends one round of gossip. */
export function gossipRound(ctx: SwimContext): void {
  const { state, settings, clock, messenger } = ctx;
  if (state.broadcasts.length === 0) return;
  const now = clock.now();
  const targets = kRandom(
    settings.gossipNodes,
    state.table.all(),
    (n) => {
      if (n.name === state.name) return false;
      if (n.state === NodeState.alive || n.state === NodeState.suspect) return true;
      return n.state === NodeState.dead && now - n.stateChange <= settings.gossipToTheDeadMs;
    },
    ctx.random,
  );
  for (const node of targets) {
    const parts = state.broadcasts.take(COMPOUND_PART_OVERHEAD, messenger.budget);
    if (parts.length === 0) return;
    messenger.sendParts(endpointOf(node), node.name, parts);
  }
}
