/**
 * Push/pull: two members swap their whole state over a stream, which repairs anything gossip
 * lost (anti-entropy, run periodically with one random member) and is how a member joins. As
 * memberlist does, the exchange is refused when some live node's protocol version falls outside
 * what every live node understands.
 */
import { ClusterError } from '../../core/errors.js';
import { NodeState, type PushNodeState, type PushPullMessage } from '../wire/messages.js';
import { kRandom } from './clock.js';
import { endpointOf, type SwimContext } from './context.js';
import type { Endpoint } from './transport.js';

/**
 * Swaps state with the member at `to` and merges what comes back. With `probe`, sends no node
 * states, only learning the other side's (used before the first join when delegate versions are
 * to be adopted, so the other side never sees versions it would refuse).
 *
 * @throws when the exchange fails or the versions are incompatible.
 */
export async function pushPullWith(
  ctx: SwimContext,
  to: Endpoint,
  join: boolean,
  probe = false,
): Promise<void> {
  const local = ctx.state.localState(join);
  const sent: PushPullMessage = probe ? { ...local, nodes: [] } : local;
  const remote = await ctx.transport.pushPull(to, sent, ctx.settings.tcpTimeoutMs);
  if (ctx.stopped()) return;
  mergeRemoteState(ctx, remote);
}

/** One periodic push/pull with a random live member, errors logged. */
export async function pushPullRound(ctx: SwimContext): Promise<void> {
  const [peer] = kRandom(
    1,
    ctx.state.table.all(),
    (n) => n.name !== ctx.state.name && n.state === NodeState.alive,
    ctx.random,
  );
  if (peer === undefined) return;
  try {
    await pushPullWith(ctx, endpointOf(peer), false);
  } catch (error) {
    if (!ctx.stopped())
      ctx.log(`rivulet: cluster: push/pull with '${peer.name}' failed: ${(error as Error).message}`);
  }
}

/** Answers a push/pull a peer started: our state now, theirs merged right after. */
export function answerPushPull(ctx: SwimContext, remote: PushPullMessage, from: Endpoint): PushPullMessage {
  const local = ctx.state.localState(remote.join);
  queueMicrotask(() => {
    if (ctx.stopped()) return;
    try {
      mergeRemoteState(ctx, remote);
    } catch (error) {
      ctx.log(
        `rivulet: cluster: push/pull from ${from.address}:${from.port} not merged: ${(error as Error).message}`,
      );
    }
  });
  return local;
}

/** Merges a peer's state after checking protocol versions. */
export function mergeRemoteState(ctx: SwimContext, remote: PushPullMessage): void {
  ctx.serf.observeState(remote.userState);
  ctx.state.adoptDelegateVersion(remote.nodes);
  verifyProtocol(ctx, remote.nodes);
  ctx.state.mergeRemote(remote.nodes);
}

/**
 * Checks that every live node, ours and theirs, speaks protocol and delegate versions within
 * the range every live node understands.
 *
 * @throws ClusterError naming the first node outside the range.
 */
export function verifyProtocol(ctx: SwimContext, remote: readonly PushNodeState[]): void {
  const live: { name: string; vsn: readonly number[] }[] = [];
  for (const node of remote) {
    if (node.state === NodeState.alive && node.vsn !== undefined)
      live.push({ name: node.name, vsn: node.vsn });
  }
  for (const node of ctx.state.table.all()) {
    if (node.state === NodeState.alive && node.vsn[1] > 0) live.push({ name: node.name, vsn: node.vsn });
  }
  let maxPMin = 0;
  let minPMax = 255;
  let maxDMin = 0;
  let minDMax = 255;
  for (const { vsn } of live) {
    maxPMin = Math.max(maxPMin, vsn[0] ?? 0);
    minPMax = Math.min(minPMax, vsn[1] ?? 0);
    maxDMin = Math.max(maxDMin, vsn[3] ?? 0);
    minDMax = Math.min(minDMax, vsn[4] ?? 0);
  }
  for (const { name, vsn } of live) {
    const pCur = vsn[2] ?? 0;
    const dCur = vsn[5] ?? 0;
    if (pCur < maxPMin || pCur > minPMax) {
      throw new ClusterError(`node '${name}' speaks protocol ${pCur}, outside [${maxPMin}, ${minPMax}]`);
    }
    if (dCur < maxDMin || dCur > minDMax) {
      throw new ClusterError(
        `node '${name}' speaks delegate protocol ${dCur}, outside [${maxDMin}, ${minDMax}]; ` +
          "set delegateVersion to the cluster's versions (or 'auto')",
      );
    }
  }
}
