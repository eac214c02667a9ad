/** HTTP response helpers for the exposition server. */
import type { ServerResponse } from 'node:http';

export function respond(
  response: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: Buffer,
  head: boolean,
): void {
  response.writeHead(status, { ...headers, 'Content-Length': String(body.byteLength) });
  response.end(head ? undefined : body);
}

/** Whether an `Accept-Encoding` header accepts gzip (and does not give it `q=0`). */
export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  for (const part of header.split(',')) {
    const [coding = '', ...params] = part.split(';');
    if (coding.trim().toLowerCase() !== 'gzip') continue;
    for (const param of params) {
      const [name = '', value = ''] = param.split('=');
      if (name.trim().toLowerCase() === 'q' && Number(value.trim()) === 0) return false;
    }
    return true;
  }
  return false;
}

/** Parses `listen` into a host (`undefined`: every interface), a port and the text to show. */

/** A plain 500, for a rendering or compression failure (already counted by the caller). */
export function respondInternalError(response: ServerResponse): void {
  respond(
    response,
    500,
    { 'Content-Type': 'text/plain; charset=utf-8' },
    Buffer.from('500 internal error\n'),
    false,
  );
}
