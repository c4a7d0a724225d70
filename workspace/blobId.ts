/**
 * A file's git blob id (SHA-1 of `blob <length>\0<bytes>`), computed in-process: the journal names
 * each file's bytes before and after by it, and recovery compares a file on disk with both without
 * starting a git process per file. Equal to `git hash-object` in a SHA-1 repository, which the
 * private backup repository always is.
 */
import { createHash } from 'node:crypto';

export function blobId(bytes: Buffer): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/** The blob id of bytes that may be absent (`null`: no file). */
export function blobIdOf(bytes: Buffer | null): string | null {
  return bytes === null ? null : blobId(bytes);
}
