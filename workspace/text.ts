/**
 * A file's bytes as text an edit can work on, and back. Edits match and splice LF text; a file
 * whose every line ends in CRLF is read without the CRs and written with them again, so its line
 * endings survive an edit written with LF (as models write). Bytes that are not UTF-8, or hold a
 * NUL, are not text: decoding them would change bytes the edit never meant to touch.
 */

export type Eol = '\n' | '\r\n';

export interface TextFile {
  /** LF line endings (a CRLF file's CRs removed). */
  text: string;
  eol: Eol;
}

/** The bytes as text, or undefined when they are not UTF-8 text that decodes back to themselves. */
export function decodeText(bytes: Buffer): TextFile | undefined {
  if (bytes.includes(0)) return undefined;
  const raw = bytes.toString('utf8');
  if (Buffer.byteLength(raw) !== bytes.length || !Buffer.from(raw).equals(bytes)) return undefined;
  const crlf = raw.includes('\r\n') && !/(^|[^\r])\n/.test(raw);
  return crlf ? { text: raw.replaceAll('\r\n', '\n'), eol: '\r\n' } : { text: raw, eol: '\n' };
}

export function encodeText(text: string, eol: Eol): Buffer {
  return Buffer.from(eol === '\r\n' ? text.replaceAll('\n', '\r\n') : text);
}

/** An edit's own text with LF line endings (a model or a terminal may have written CRLF). */
export function lf(text: string): string {
  return text.replaceAll('\r\n', '\n');
}

/** Lines of LF text, without the empty string after a final newline. */
export function splitLines(text: string): { lines: string[]; finalNewline: boolean } {
  if (text === '') return { lines: [], finalNewline: false };
  const lines = text.split('\n');
  const finalNewline = lines[lines.length - 1] === '';
  if (finalNewline) lines.pop();
  return { lines, finalNewline };
}

export function joinLines(lines: string[], finalNewline: boolean): string {
  if (lines.length === 0) return '';
  return lines.join('\n') + (finalNewline ? '\n' : '');
}

/** A line for a message: quoted, cut at 60 characters. */
export function quoteLine(line: string): string {
  return `'${line.length > 60 ? `${line.slice(0, 57)}...` : line}'`;
}
