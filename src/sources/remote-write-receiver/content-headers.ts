/**
 * Header checks of the remote write receiver, as Prometheus's write handler does them.
 */

/** The message name a remote write 1.0 `Content-Type` may carry as its `proto` parameter. */
const V1_MESSAGE = 'prometheus.WriteRequest';

/**
 * Why the request's `Content-Type` is not remote write 1.0, or `undefined` when it is. An absent
 * header is taken as 1.0, as Prometheus does for older senders.
 */
export function contentTypeProblem(header: string | undefined): string | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const [media = '', ...parameters] = header.split(';');
  if (media.trim().toLowerCase() !== 'application/x-protobuf') {
    return `expected Content-Type application/x-protobuf, got '${header}'`;
  }
  for (const parameter of parameters) {
    const equals = parameter.indexOf('=');
    if (equals < 0 || parameter.slice(0, equals).trim().toLowerCase() !== 'proto') continue;
    const message = parameter
      .slice(equals + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    if (message !== V1_MESSAGE) {
      return `protobuf message ${message} is not accepted; this receiver accepts ${V1_MESSAGE} (remote write 1.0)`;
    }
  }
  return undefined;
}

/** Why the request's `Content-Encoding` is not snappy, or `undefined` when it is (or is absent). */
export function contentEncodingProblem(header: string | undefined): string | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  if (header.trim().toLowerCase() === 'snappy') return undefined;
  return `${header} encoding is not accepted; only snappy is`;
}
