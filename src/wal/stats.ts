/** The counters a WAL keeps about itself, read by its metrics. */
export class WalStats {
  appendedBytes = 0;
  appendedItems = 0;
  appendedRecords = 0;
  syncs = 0;
  syncSeconds = 0;
  corruptRecords = 0;
  corruptBytes = 0;
  tornTailBytes = 0;
  missingSegments = 0;
  replaySeconds = 0;
  readonly droppedItems = new Map<string, number>();

  dropped(reason: string, count: number): void {
    this.droppedItems.set(reason, (this.droppedItems.get(reason) ?? 0) + count);
  }
}
