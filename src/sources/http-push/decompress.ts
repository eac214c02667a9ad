/**
 * Transport decompression of a push body (`Content-Encoding` gzip or deflate) under a limit on
 * the output, so a small body cannot expand past what the receiver allows.
 */
import { promisify } from 'node:util';
import { gunzip, inflate, inflateRaw } from 'node:zlib';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);
const inflateRawAsync = promisify(inflateRaw);

/** A transport encoding a push receiver can undo. */
export type TransportEncoding = 'identity' | 'gzip' | 'deflate';

/** The body could not be decompressed; `tooLarge` when it would pass the output limit. */
export class DecompressError extends Error {
  readonly tooLarge: boolean;

  constructor(message: string, tooLarge: boolean) {
    super(message);
    this.name = 'DecompressError';
    this.tooLarge = tooLarge;
  }
}

/**
 * The encoding named by a `Content-Encoding` header, or `undefined` for one not accepted.
 * `passThrough` lists encodings that belong to the body format itself (Loki's and remote
 * write's `snappy`) and so need no transport step.
 */
export function transportEncoding(
  header: string | undefined,
  passThrough: readonly string[] = [],
): TransportEncoding | undefined {
  const value = (header ?? '').trim().toLowerCase();
  if (value === '' || value === 'identity' || passThrough.includes(value)) return 'identity';
  if (value === 'gzip' || value === 'x-gzip') return 'gzip';
  if (value === 'deflate') return 'deflate';
  return undefined;
}

/**
 * The body without its transport encoding.
 * @throws DecompressError when it is corrupt or would pass `maxOutputLength` bytes.
 */
export async function decompress(
  body: Buffer,
  encoding: TransportEncoding,
  maxOutputLength: number,
): Promise<Buffer> {
  if (encoding === 'identity') return body;
  try {
    if (encoding === 'gzip') return await gunzipAsync(body, { maxOutputLength });
    // HTTP's deflate is zlib-wrapped; some clients send raw DEFLATE. Take either.
    const zlibWrapped =
      body.length >= 2 &&
      ((body[0] as number) & 0x0f) === 8 &&
      (((body[0] as number) << 8) | (body[1] as number)) % 31 === 0;
    return await (zlibWrapped ? inflateAsync : inflateRawAsync)(body, { maxOutputLength });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DecompressError(`the body decompresses to more than ${maxOutputLength} bytes`, true);
    }
    throw new DecompressError(
      `cannot ${encoding === 'gzip' ? 'gunzip' : 'inflate'} the body: ${(error as Error).message}`,
      false,
    );
  }
}
