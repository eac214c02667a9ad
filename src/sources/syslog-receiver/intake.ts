/**
 * What happens to each frame a connection or datagram yields: counted, parsed, turned into an
 * entry and batched; or, when it is not a syslog message, counted as dropped and as an error
 * naming the peer, and skipped.
 */
import type { SourceContext } from '../../core/define.js';
import { SourceError } from '../../core/errors.js';
import {
  type ParseSyslogOptions,
  parseSyslog,
  type SyslogFrameHandler,
  type SyslogMessage,
  SyslogParseError,
} from '../../protocols/syslog/index.js';
import type { EntryBatcher } from './batcher.js';
import { type EntryMaker, nowNs, type PeerLabels } from './entries.js';

/** A peer: its labels and how it is named in errors. */
export interface Peer {
  readonly labels: PeerLabels;
  /** `tcp 10.0.0.1:51234` or `udp 10.0.0.1:514`. */
  readonly name: string;
}

export class Intake {
  private readonly context: SourceContext<'logs'>;
  private readonly batcher: EntryBatcher;
  private readonly maker: EntryMaker;
  private readonly parseOptions: ParseSyslogOptions;

  constructor(
    context: SourceContext<'logs'>,
    batcher: EntryBatcher,
    maker: EntryMaker,
    parseOptions: ParseSyslogOptions,
  ) {
    this.context = context;
    this.batcher = batcher;
    this.maker = maker;
    this.parseOptions = parseOptions;
  }

  /** A frame handler for one peer. */
  handler(peer: Peer): SyslogFrameHandler {
    return {
      frame: (bytes) => this.frame(bytes, peer),
      error: (error) => this.problem(error, peer),
    };
  }

  /** One message's bytes from `peer`. */
  frame(bytes: Buffer, peer: Peer): void {
    const { context } = this;
    context.received(1);
    const text = bytes.toString('utf8');
    let message: SyslogMessage;
    try {
      message = parseSyslog(text, this.parseOptions);
    } catch (error) {
      if (!(error instanceof SyslogParseError)) throw error;
      context.dropped(1, 'malformed');
      context.error('receiving', describe(context.id, peer, error));
      return;
    }
    if (message.message === '') {
      // As Alloy: a message without MSG makes no log line.
      context.dropped(1, 'empty_message');
      return;
    }
    this.batcher.add(this.maker.make(message, text, peer.labels, nowNs()));
  }

  /**
   * A problem the framing found. A message over the length limit or cut short counts as one
   * received and dropped; a fatal framing error (the connection is closed) only as an error.
   */
  problem(error: SyslogParseError, peer: Peer): void {
    const { context } = this;
    if (!error.fatal) {
      context.received(1);
      context.dropped(1, error.tooLong ? 'too_long' : 'malformed');
    }
    context.error('receiving', describe(context.id, peer, error));
  }
}

function describe(id: string, peer: Peer, error: SyslogParseError): SourceError {
  return new SourceError(`${id}: ${peer.name}: ${error.message}`, { component: id, cause: error });
}
