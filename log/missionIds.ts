/**
 * Mission ids and the claim of a new mission's log. A generated id is the mission's name, the
 * second it was made and 64 random bits (13 base-36 characters): readable in a listing, and
 * never drawn twice in practice (1,000 same-name submissions in one second collide with
 * p ≈ 3e-14). Still, the log is created exclusively (`wx`), so a collision, or a user's id that
 * another process took first, is a retry or a refusal, never two missions in one log.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { EventLog } from './eventLog.js';

/** 64 random bits, as 13 base-36 characters. */
export function randomIdSuffix(): string {
  return BigInt(`0x${randomBytes(8).toString('hex')}`)
    .toString(36)
    .padStart(13, '0');
}

export function newMissionId(
  name: string,
  now = Date.now(),
  suffix: () => string = randomIdSuffix,
): string {
  const stamp = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${name}-${stamp}-${suffix()}`;
}

/**
 * Creates the mission's empty log, failing if it exists: true when this call made it. Other
 * failures (a full or read-only disk) are thrown as they are.
 */
export function claimMissionLog(stateDir: string, id: string): boolean {
  const file = EventLog.pathFor(stateDir, id);
  mkdirSync(dirname(file), { recursive: true });
  try {
    closeSync(openSync(file, 'wx'));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** Generated ids tried before giving up (each a fresh 64-bit draw: more than one is already a broken random source). */
export const ID_ATTEMPTS = 5;

/** A generated id whose log this call created; throws when `ID_ATTEMPTS` draws all collide. */
export function claimNewMissionId(
  stateDir: string,
  name: string,
  now: number,
  taken: (id: string) => boolean,
  suffix?: () => string,
): string {
  for (let i = 0; i < ID_ATTEMPTS; i++) {
    const id = newMissionId(name, now, suffix);
    if (!taken(id) && claimMissionLog(stateDir, id)) return id;
  }
  throw new Error(
    `no free mission id for '${name}' after ${ID_ATTEMPTS} draws: the random source repeats itself`,
  );
}
