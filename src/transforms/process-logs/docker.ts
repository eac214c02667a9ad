/**
 * `docker`: Alloy's `stage.docker`. Parses Docker's JSON log format,
 * `{"log":"...","stream":"stderr","time":"2019-04-30T02:12:41.8443515Z"}`: the `log` field
 * becomes the line, `stream` a label, and `time` (RFC 3339) the timestamp. It is exactly
 * `json` (`output: log, stream: stream, timestamp: time`), `labels(['stream'])`,
 * `timestamp({ source: 'timestamp', format: 'RFC3339Nano' })` and `output({ source: 'output' })`,
 * so a line that is not such JSON goes on unchanged (counting a processing error).
 */
import { json } from './json.js';
import { labels } from './labels.js';
import { output } from './output.js';
import { compileStage, Stage } from './stage.js';
import { timestamp } from './timestamp.js';

/**
 * Parses Docker JSON logs.
 *
 * @example
 * ```ts
 * processLogs(docker());
 * ```
 */
export function docker(): Stage {
  const parts = [
    json({ expressions: { output: 'log', stream: 'stream', timestamp: 'time' } }),
    labels(['stream']),
    timestamp({ source: 'timestamp', format: 'RFC3339Nano' }),
    output({ source: 'output' }),
  ];
  return new Stage('docker', (list) => {
    for (const part of parts) compileStage(part, list);
  });
}
