/** Response helpers of the debug server: JSON and text bodies, and the error answers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { stringifyMasked } from './mask.js';
import type { ErrorView } from './views.js';

/** Sends `body` as JSON with secrets masked; a HEAD request gets the headers only. */
export function sendJson(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  body: unknown,
  secrets: ReadonlySet<string>,
  headers: Readonly<Record<string, string>> = {},
): void {
  send(
    request,
    response,
    status,
    'application/json; charset=utf-8',
    `${stringifyMasked(body, secrets)}\n`,
    headers,
  );
}

/** Sends `body` as plain text (or the given content type); a HEAD request gets the headers only. */
export function send(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  const bytes = Buffer.from(body, 'utf8');
  response.writeHead(status, {
    ...headers,
    'Content-Type': contentType,
    'Content-Length': String(bytes.byteLength),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  response.end(request.method === 'HEAD' ? undefined : bytes);
}

/** Answers with a JSON {@link ErrorView}. */
export function sendError(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  error: string,
  message: string,
  secrets: ReadonlySet<string>,
  headers: Readonly<Record<string, string>> = {},
): void {
  const body: ErrorView = { error, message };
  sendJson(request, response, status, body, secrets, headers);
}

/**
 * Whether the request's method is one of `allowed`; if not, answers 405 with an `Allow` header.
 */
export function allowMethods(
  request: IncomingMessage,
  response: ServerResponse,
  allowed: readonly string[],
  secrets: ReadonlySet<string>,
): boolean {
  if (allowed.includes(request.method ?? '')) return true;
  sendError(
    request,
    response,
    405,
    'method_not_allowed',
    `${request.method ?? 'this method'} is not allowed here; use ${allowed.join(' or ')}`,
    secrets,
    { Allow: allowed.join(', ') },
  );
  return false;
}
