// memberlist's AES-GCM format. Agreement with Go's encryptPayload/decryptPayload is checked in
// test/interop/cluster-wire-go.test.ts.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decryptPayload,
  encryptedLength,
  encryptionVersionFor,
  encryptOverhead,
  encryptPayload,
  WireError,
} from '../../../src/cluster/wire/index.js';

const key16 = new Uint8Array(randomBytes(16));
const key24 = new Uint8Array(randomBytes(24));
const key32 = new Uint8Array(randomBytes(32));
const plain = Uint8Array.from(Buffer.from('the quick brown fox jumps over the lazy dog'));

describe('encryptPayload / decryptPayload', () => {
  it('round-trips with every key size and both versions, with and without additional data', () => {
    for (const key of [key16, key24, key32]) {
      for (const version of [0, 1] as const) {
        for (const aad of [new Uint8Array(0), Uint8Array.from(Buffer.from('prod'))]) {
          const sealed = encryptPayload(version, key, plain, aad);
          expect(sealed[0]).toBe(version);
          expect(sealed.length).toBe(encryptedLength(version, plain.length));
          expect(decryptPayload([key], sealed, aad)).toEqual(plain);
        }
      }
    }
  });

  it('pads version 0 to the block size and adds nothing for version 1', () => {
    expect(encryptedLength(1, 0)).toBe(29);
    expect(encryptedLength(0, 0)).toBe(45);
    expect(encryptedLength(0, 15)).toBe(45);
    expect(encryptedLength(0, 16)).toBe(61);
    expect(encryptOverhead(0)).toBe(45);
    expect(encryptOverhead(1)).toBe(29);
    expect(encryptionVersionFor(1)).toBe(0);
    expect(encryptionVersionFor(2)).toBe(1);
    expect(decryptPayload([key16], encryptPayload(0, key16, new Uint8Array(16)))).toEqual(new Uint8Array(16));
    expect(decryptPayload([key16], encryptPayload(0, key16, new Uint8Array(0)))).toEqual(new Uint8Array(0));
  });

  it('uses a fresh random nonce each time unless one is given', () => {
    const a = encryptPayload(1, key16, plain);
    const b = encryptPayload(1, key16, plain);
    expect(Buffer.from(a.subarray(1, 13)).equals(Buffer.from(b.subarray(1, 13)))).toBe(false);
    const nonce = new Uint8Array(12).fill(9);
    expect(encryptPayload(1, key16, plain, undefined, nonce)).toEqual(
      encryptPayload(1, key16, plain, undefined, nonce),
    );
  });

  it('tries every key, so a rotated-out primary still decrypts', () => {
    const sealed = encryptPayload(1, key24, plain);
    expect(decryptPayload([key16, key32, key24], sealed)).toEqual(plain);
  });

  it('refuses a wrong key, other additional data, and tampering', () => {
    const sealed = encryptPayload(1, key16, plain, Uint8Array.of(1));
    expect(() => decryptPayload([key32], sealed, Uint8Array.of(1))).toThrow(/no installed key could decrypt/);
    expect(() => decryptPayload([key16], sealed, Uint8Array.of(2))).toThrow(WireError);
    const tampered = sealed.slice();
    tampered[20] = (tampered[20] as number) ^ 1;
    const err = catchError(() => decryptPayload([key16], tampered, Uint8Array.of(1)));
    expect(err).toBeInstanceOf(WireError);
    expect((err as WireError).reason).toBe('decrypt');
  });

  it('refuses unknown versions, short payloads, empty keyrings and bad keys', () => {
    expect(() => decryptPayload([key16], Uint8Array.of(2, ...new Uint8Array(40)))).toThrow(
      /unsupported encryption version 2/,
    );
    expect(() => decryptPayload([key16], new Uint8Array(28))).toThrow(/too small to decrypt/);
    expect(() => decryptPayload([key16], new Uint8Array(0))).toThrow(/empty payload/);
    expect(() => decryptPayload([], Uint8Array.of(1, ...new Uint8Array(28)))).toThrow(/no keys/);
    expect(() => encryptPayload(1, new Uint8Array(15), plain)).toThrow(/16, 24 or 32 bytes/);
  });

  it('refuses authenticated version-0 payloads with invalid padding', () => {
    // Seal a plaintext whose last byte is not valid PKCS#7 padding, under version 0's header.
    const sealed = encryptPayload(1, key16, new Uint8Array(16));
    sealed[0] = 0;
    expect(() => decryptPayload([key16], sealed)).toThrow(/invalid PKCS#7 padding/);
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}
