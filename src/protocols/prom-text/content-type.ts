/**
 * Choosing the text format of a scraped body by its `Content-Type`, as Prometheus does.
 */
import type { PromTextFormat } from './types.js';

/**
 * The format of a scraped body from its `Content-Type` header, as Prometheus 2.42 picks its parser:
 * `application/openmetrics-text` (in any case, with any parameters) is OpenMetrics, anything else,
 * a missing header included, is the text format 0.0.4.
 *
 * @example
 * ```ts
 * promTextFormat('application/openmetrics-text; version=1.0.0; charset=utf-8'); // 'openmetrics'
 * promTextFormat('text/plain; version=0.0.4'); // 'text'
 * ```
 */
export function promTextFormat(contentType: string | undefined): PromTextFormat {
  if (contentType === undefined) return 'text';
  const semicolon = contentType.indexOf(';');
  const mediaType = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return mediaType === 'application/openmetrics-text' ? 'openmetrics' : 'text';
}
