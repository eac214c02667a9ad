import { spawn } from 'node:child_process';
import { freePort } from './prometheus-server.js';

/** Debian's node_exporter. */
export const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';

/** A running node_exporter for a test. */
export interface NodeExporterProcess {
  /** `127.0.0.1:<port>`. */
  readonly address: string;
  /** Its /metrics URL. */
  readonly url: string;
  /** What it has written to stderr so far (the first 20 kB), for failure messages. */
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts node_exporter on a free port and waits until /metrics answers. */
export async function startNodeExporter(): Promise<NodeExporterProcess> {
  const address = `127.0.0.1:${await freePort()}`;
  const url = `http://${address}/metrics`;
  const child = spawn(NODE_EXPORTER, [`--web.listen-address=${address}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 20_000) stderr += chunk.toString();
  });
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`node_exporter exited with ${child.exitCode} before serving:\n${stderr}`);
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`node_exporter did not serve ${url} within 20 s:\n${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    address,
    url,
    stderr: () => stderr,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
