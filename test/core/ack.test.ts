import { describe, expect, it, vi } from 'vitest';
import { Ack } from '../../src/core/ack.js';

describe('Ack', () => {
  it('settles once; later settles are ignored', async () => {
    const ack = new Ack();
    const seen: string[] = [];
    ack.onSettle((o) => seen.push(o.status));
    expect(ack.delivered()).toBe(true);
    expect(ack.failed(new Error('late'))).toBe(false);
    expect(ack.dropped('late')).toBe(false);
    expect(seen).toEqual(['delivered']);
    expect(await ack.done()).toEqual({ status: 'delivered' });
    ack.onSettle((o) => seen.push(`late-listener:${o.status}`));
    expect(seen).toEqual(['delivered', 'late-listener:delivered']);
  });

  it('a fanned-out ack settles only when every branch has', () => {
    const parent = new Ack();
    const [a, b] = parent.split(2) as [Ack, Ack];
    a.delivered();
    expect(parent.settled).toBe(false);
    b.delivered();
    expect(parent.result).toEqual({ status: 'delivered' });
  });

  it('a fanned-out ack fails if any branch fails, even when another delivered', () => {
    const parent = new Ack();
    const [a, b, c] = parent.split(3) as [Ack, Ack, Ack];
    const error = new Error('backend down');
    a.delivered();
    b.failed(error);
    expect(parent.settled).toBe(false);
    c.dropped('filtered');
    expect(parent.result).toEqual({ status: 'failed', error });
  });

  it('a fanned-out ack is dropped only when every branch dropped', () => {
    const parent = new Ack();
    const [a, b] = parent.split(2) as [Ack, Ack];
    a.dropped('filtered');
    b.dropped('filtered');
    expect(parent.result).toEqual({ status: 'dropped', reason: 'filtered' });
    const other = new Ack();
    const [c, d] = other.split(2) as [Ack, Ack];
    c.dropped('filtered');
    d.delivered();
    expect(other.result).toEqual({ status: 'delivered' });
  });

  it('Ack.all settles every ack it stands for', () => {
    const acks = [new Ack(), new Ack(), new Ack()];
    Ack.all(acks).dropped('queue_full');
    expect(acks.map((a) => a.result)).toEqual(acks.map(() => ({ status: 'dropped', reason: 'queue_full' })));
  });

  it('a listener that throws does not stop the others, and is reported as a warning', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const ack = new Ack();
    const seen: string[] = [];
    ack.onSettle(() => {
      throw new Error('listener bug');
    });
    ack.onSettle((o) => seen.push(o.status));
    ack.delivered();
    expect(seen).toEqual(['delivered']);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('listener bug'), 'RivuletAckWarning');
    warn.mockRestore();
  });
});
