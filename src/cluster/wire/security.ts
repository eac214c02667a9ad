/**
 * memberlist's encryption format (`security.go`), through node:crypto:
 *
 * ```
 * [version: 0 | 1][nonce: 12 bytes][AES-GCM ciphertext][tag: 16 bytes]
 * ```
 *
 * The key length picks AES-128, -192 or -256. Version 0 pads the plaintext with PKCS#7 to the
 * 16-byte block size before sealing; version 1 (used by peers speaking protocol 2 or later) does
 * not. The additional authenticated data is the cluster label for packets, and the stream frame
 * header (plus label) for streams. The primary key encrypts; every key of the ring is tried to
 * decrypt, so keys can be rotated.
 *
 * @module
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { WireError } from './errors.js';

/** An encryption format version byte. */
export type EncryptionVersion = 0 | 1;

const VERSION_SIZE = 1;
const NONCE_SIZE = 12;
const TAG_SIZE = 16;
const BLOCK_SIZE = 16;

/** The bytes encryption adds to a packet: 45 for version 0 (worst case), 29 for version 1. */
export function encryptOverhead(version: EncryptionVersion): number {
  return version === 0
    ? VERSION_SIZE + NONCE_SIZE + BLOCK_SIZE + TAG_SIZE
    : VERSION_SIZE + NONCE_SIZE + TAG_SIZE;
}

/** The exact length of `plainLength` bytes once encrypted. */
export function encryptedLength(version: EncryptionVersion, plainLength: number): number {
  const padding = version === 0 ? BLOCK_SIZE - (plainLength % BLOCK_SIZE) : 0;
  return VERSION_SIZE + NONCE_SIZE + plainLength + padding + TAG_SIZE;
}

/** The encryption version memberlist uses for a protocol version (`encryptionVersion()`). */
export function encryptionVersionFor(protocolVersion: number): EncryptionVersion {
  return protocolVersion <= 1 ? 0 : 1;
}

/**
 * Checks that a key is 16, 24 or 32 bytes.
 *
 * @throws {WireError} `invalid` otherwise.
 */
export function validateKey(key: Uint8Array): void {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new WireError('invalid', `an encryption key must be 16, 24 or 32 bytes, got ${key.length}`);
  }
}

/**
 * Encrypts `plaintext` with `key` in memberlist's format.
 *
 * @param aad - the additional authenticated data (empty for an unlabelled packet).
 * @param nonce - for tests only: a fixed 12-byte nonce instead of a random one.
 */
export function encryptPayload(
  version: EncryptionVersion,
  key: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array = EMPTY,
  nonce?: Uint8Array,
): Uint8Array {
  validateKey(key);
  if (version !== 0 && version !== 1) {
    throw new WireError('invalid', `unsupported encryption version ${String(version)}`);
  }
  const iv = nonce ?? randomBytes(NONCE_SIZE);
  if (iv.length !== NONCE_SIZE) throw new WireError('invalid', `a nonce must be ${NONCE_SIZE} bytes`);
  const plain = version === 0 ? pkcs7Pad(plaintext) : plaintext;
  const cipher = createCipheriv(algorithm(key), key, iv, { authTagLength: TAG_SIZE });
  cipher.setAAD(aad);
  const sealed = cipher.update(plain);
  const final = cipher.final();
  const tag = cipher.getAuthTag();
  const out = new Uint8Array(VERSION_SIZE + NONCE_SIZE + sealed.length + final.length + TAG_SIZE);
  out[0] = version;
  out.set(iv, VERSION_SIZE);
  out.set(sealed, VERSION_SIZE + NONCE_SIZE);
  out.set(final, VERSION_SIZE + NONCE_SIZE + sealed.length);
  out.set(tag, out.length - TAG_SIZE);
  return out;
}

/**
 * Decrypts a payload in memberlist's format, trying each key in turn.
 *
 * @throws {WireError} `unsupported` for an unknown version byte, `truncated` when the payload is
 * shorter than the format's fixed parts, `decrypt` when no key authenticates it, `malformed` when
 * version-0 padding is invalid.
 */
export function decryptPayload(
  keys: readonly Uint8Array[],
  payload: Uint8Array,
  aad: Uint8Array = EMPTY,
): Uint8Array {
  if (payload.length === 0) throw new WireError('truncated', 'cannot decrypt an empty payload');
  const version = payload[0] as number;
  if (version !== 0 && version !== 1) {
    throw new WireError('unsupported', `unsupported encryption version ${version}`);
  }
  if (payload.length < encryptedLength(version, 0)) {
    throw new WireError('truncated', `payload of ${payload.length} bytes is too small to decrypt`);
  }
  if (keys.length === 0) throw new WireError('decrypt', 'no keys to decrypt with');
  const nonce = payload.subarray(VERSION_SIZE, VERSION_SIZE + NONCE_SIZE);
  const ciphertext = payload.subarray(VERSION_SIZE + NONCE_SIZE, payload.length - TAG_SIZE);
  const tag = payload.subarray(payload.length - TAG_SIZE);
  for (const key of keys) {
    validateKey(key);
    let plain: Uint8Array;
    try {
      const decipher = createDecipheriv(algorithm(key), key, nonce, { authTagLength: TAG_SIZE });
      decipher.setAAD(aad);
      decipher.setAuthTag(tag);
      const head = decipher.update(ciphertext);
      const tail = decipher.final();
      plain = tail.length === 0 ? new Uint8Array(head) : new Uint8Array(Buffer.concat([head, tail]));
    } catch {
      continue;
    }
    return version === 0 ? pkcs7Unpad(plain) : plain;
  }
  throw new WireError('decrypt', 'no installed key could decrypt the message');
}

const EMPTY = new Uint8Array(0);

function algorithm(key: Uint8Array): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  return key.length === 16 ? 'aes-128-gcm' : key.length === 24 ? 'aes-192-gcm' : 'aes-256-gcm';
}

function pkcs7Pad(plain: Uint8Array): Uint8Array {
  const more = BLOCK_SIZE - (plain.length % BLOCK_SIZE);
  const out = new Uint8Array(plain.length + more);
  out.set(plain);
  out.fill(more, plain.length);
  return out;
}

/** Go trusts the last byte blindly; an authenticated payload with bad padding is refused here. */
function pkcs7Unpad(plain: Uint8Array): Uint8Array {
  const more = plain[plain.length - 1];
  if (more === undefined || more === 0 || more > BLOCK_SIZE || more > plain.length) {
    throw new WireError('malformed', 'invalid PKCS#7 padding in a version 0 payload');
  }
  return plain.subarray(0, plain.length - more);
}
