/**
 * The HTTP pieces every push receiver shares: reading a body under a size limit, plain-text
 * answers and the `Retry-After` value.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The request body, or `'too_large'` once it passes `limit` bytes (reading then stops). */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        request.pause();
        resolve('too_large');
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onClose = (): void => {
      if (!request.complete) onError(new Error('the client closed the connection before sending the body'));
    };
    const cleanup = (): void => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      request.off('close', onClose);
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
    request.on('close', onClose);
  });
}

/**
 * Answers with `status` and a plain-text `message` (none for 204). `close` asks the client to
 * close the connection, for answers given before the body was read.
 */
export function answer(
  response: ServerResponse,
  status: number,
  message?: string,
  headers: Readonly<Record<string, string>> = {},
  close = false,
): void {
  if (response.headersSent || response.destroyed) return;
  const all: Record<string, string> = { ...headers };
  if (close) all.Connection = 'close';
  if (message === undefined || status === 204) {
    response.writeHead(status, all);
    response.end();
    return;
  }
  const body = Buffer.from(`${message}\n`);
  response.writeHead(status, {
    ...all,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(body.length),
  });
  response.end(body);
}

/** The `Retry-After` header value (whole seconds, at least 1) for a delay in milliseconds. */
export function retryAfterSeconds(delayMs: number): string {
  return String(Math.max(1, Math.ceil(delayMs / 1000)));
}
