/**
 * What a member does with each message of an incoming packet: answers pings, probes on behalf
 * of others (relaying the ack, or a nack when the target stays silent), hands acks and nacks to
 * the waiting probes, and feeds `alive`, `suspect` and `dead` gossip to the state machine.
 * Application (user) messages, such as serf's, are not interpreted.
 */
import type { IndirectPingMessage, PacketMessage, PingMessage } from '../wire/messages.js';
import type { SwimContext } from './context.js';
import { ipFromBytes } from './ip.js';
import type { Endpoint } from './transport.js';

const EMPTY = new Uint8Array(0);

/** Handles the messages of one packet, in order. */
export function handlePacket(
  ctx: SwimContext,
  messages: readonly PacketMessage[],
  from: Endpoint,
  receivedAt: number,
): void {
  if (ctx.stopped()) return;
  for (const message of messages) {
    switch (message.type) {
      case 'ping':
        handlePing(ctx, message, from);
        break;
      case 'indirectPing':
        handleIndirectPing(ctx, message, from);
        break;
      case 'ackResp':
        ctx.acks.ack(message.seqNo, message.payload, receivedAt);
        break;
      case 'nackResp':
        ctx.acks.nack(message.seqNo);
        break;
      case 'alive':
        ctx.state.aliveNode(message);
        break;
      case 'suspect':
        ctx.state.suspectNode(message);
        break;
      case 'dead':
        ctx.state.deadNode(message);
        break;
      case 'user':
        ctx.serf.observeMessage(message.payload);
        break;
    }
  }
}

/** Where to answer: the source the message names, or the address it came from. */
function replyTo(
  message: { readonly sourceAddr?: Uint8Array; readonly sourcePort?: number },
  from: Endpoint,
): Endpoint {
  const { sourceAddr, sourcePort } = message;
  if (sourceAddr !== undefined && sourceAddr.length > 0 && sourcePort !== undefined && sourcePort > 0) {
    return { address: ipFromBytes(sourceAddr), port: sourcePort };
  }
  return from;
}

function handlePing(ctx: SwimContext, ping: PingMessage, from: Endpoint): void {
  if (ping.node !== '' && ping.node !== ctx.state.name) return;
  ctx.messenger.send(replyTo(ping, from), ping.sourceNode, {
    type: 'ackResp',
    seqNo: ping.seqNo,
    payload: EMPTY,
  });
}

function handleIndirectPing(ctx: SwimContext, request: IndirectPingMessage, from: Endpoint): void {
  const requester = replyTo(request, from);
  const seqNo = ctx.acks.nextSeqNo();
  let answered = false;
  ctx.acks.expect(seqNo, ctx.settings.probeTimeoutMs, () => {
    answered = true;
    ctx.messenger.send(requester, request.sourceNode, {
      type: 'ackResp',
      seqNo: request.seqNo,
      payload: EMPTY,
    });
  });
  const target = { address: ipFromBytes(request.target), port: request.port };
  ctx.messenger.send(target, request.node, {
    type: 'ping',
    seqNo,
    node: request.node,
    sourceAddr: ctx.advertise.addr,
    sourcePort: ctx.advertise.port,
    sourceNode: ctx.state.name,
  });
  if (request.nack) {
    // Lifeguard sends the nack at 80% of the probe timeout, so it reaches the prober before its
    // own deadline and counts as a sign that the helper (and the prober's network) work.
    ctx.clock.setTimer(ctx.settings.probeTimeoutMs * 0.8, () => {
      if (answered || ctx.stopped()) return;
      ctx.messenger.send(requester, request.sourceNode, { type: 'nackResp', seqNo: request.seqNo });
    });
  }
}
