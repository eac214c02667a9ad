import { existsSync } from 'node:fs';

/**
 * Whether a real peer's executable is installed. A missing peer skips its tests, saying so,
 * unless REQUIRE_PEERS=1, when it fails them instead (as CI runs).
 */
export function peerAvailable(executable: string, installHint: string): boolean {
  if (existsSync(executable)) return true;
  const message = `${executable} is not installed (${installHint})`;
  if (process.env.REQUIRE_PEERS === '1') throw new Error(`REQUIRE_PEERS=1 but ${message}`);
  console.warn(`skipping: ${message}`);
  return false;
}
