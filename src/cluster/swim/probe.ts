/**
 * SWIM's failure detector with Lifeguard's refinements. Each round probes the next node in a
 * shuffled round-robin: a direct ping (with a `suspect` message attached when the node is
 * already suspect, so it hears of it and can refute: the buddy system); after the probe timeout,
 * indirect pings through `indirectChecks` random members, which answer with a nack if they
 * cannot reach it either, and a ping over TCP. No ack by the end of the (health-scaled) probe
 * interval makes the node suspect. Missing nacks raise this member's own health score (a member
 * that cannot hear its helpers is probably the one in trouble), which stretches its probe
 * interval.
 */
import { NodeState, type PingMessage, type SuspectMessage } from '../wire/messages.js';
import { type ClockTimer, kRandom } from './clock.js';
import { endpointOf, type SwimContext } from './context.js';
import type { NodeRecord } from './node-table.js';

/** Probes the next node in the round, if there is one. */
export async function probeRound(ctx: SwimContext): Promise<void> {
  const target = ctx.state.table.nextProbeTarget(
    ctx.state.name,
    ctx.clock.now() - ctx.settings.gossipToTheDeadMs,
  );
  if (target !== undefined) await probeNode(ctx, target);
}

/** One probe of `target`; see the module description. */
export async function probeNode(ctx: SwimContext, target: NodeRecord): Promise<void> {
  const { settings, clock, state, acks, messenger } = ctx;
  const node = { ...target };
  const probeInterval = state.awareness.scale(settings.probeIntervalMs);
  const seqNo = acks.nextSeqNo();
  const ping: PingMessage = {
    type: 'ping',
    seqNo,
    node: node.name,
    sourceAddr: ctx.advertise.addr,
    sourcePort: ctx.advertise.port,
    sourceNode: state.name,
  };
  let nacks = 0;
  const acked = new Promise<boolean>((resolve) => {
    acks.expect(
      seqNo,
      probeInterval,
      () => resolve(true),
      () => {
        nacks++;
      },
      () => resolve(false),
    );
  });
  const sentAt = clock.now();
  const deadline = sentAt + probeInterval;
  const to = endpointOf(node);
  if (node.state === NodeState.alive) {
    messenger.send(to, node.name, ping);
  } else {
    const suspect: SuspectMessage = {
      type: 'suspect',
      incarnation: node.incarnation,
      node: node.name,
      from: state.name,
    };
    messenger.sendParts(to, node.name, [messenger.encode(ping), messenger.encode(suspect)]);
  }

  let probeTimer: ClockTimer | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    probeTimer = clock.setTimer(settings.probeTimeoutMs, () => resolve(false));
  });
  const direct = await Promise.race([acked, timeout]);
  probeTimer?.cancel();
  if (direct) {
    state.awareness.applyDelta(-1);
    return;
  }
  if (ctx.stopped()) return;

  const helpers = kRandom(
    settings.indirectChecks,
    state.table.all(),
    (n) => n.name !== state.name && n.name !== node.name && n.state === NodeState.alive,
    ctx.random,
  );
  let expectedNacks = 0;
  for (const helper of helpers) {
    const nack = helper.vsn[1] >= 4;
    if (nack) expectedNacks++;
    messenger.send(endpointOf(helper), helper.name, {
      type: 'indirectPing',
      seqNo,
      target: node.addr,
      port: node.port,
      node: node.name,
      nack,
      sourceAddr: ctx.advertise.addr,
      sourcePort: ctx.advertise.port,
      sourceNode: state.name,
    });
  }

  // A ping over TCP as well, for members that lost UDP but still speak TCP.
  const fallback =
    !settings.disableTcpPings && node.vsn[1] >= 3
      ? ctx.transport.pingStream(to, ping, Math.max(1, deadline - clock.now())).catch(() => false)
      : Promise.resolve(false);

  if (await acked) {
    state.awareness.applyDelta(-1);
    return;
  }
  if (await fallback) {
    ctx.log(
      `rivulet: cluster: reached '${node.name}' over TCP but not over UDP; the network may be misconfigured`,
    );
    state.awareness.applyDelta(-1);
    return;
  }
  if (ctx.stopped()) return;
  state.awareness.applyDelta(expectedNacks > 0 ? Math.max(0, expectedNacks - nacks) : 1);
  state.suspectNode({ type: 'suspect', incarnation: node.incarnation, node: node.name, from: state.name });
}
