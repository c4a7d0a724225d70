/**
 * What `maestro patch` and `maestro verify` read from their flags: the edit (a file or stdin,
 * its format read from its text), the path rules, the workspace folder (checked).
 */
import { readFileSync } from 'node:fs';
import {
  DEFAULT_DENY,
  DEFAULT_MAX_FILE_BYTES,
  workspacePathIssues,
  workspaceRoot,
} from '../config/workspace.js';
import { editFromText } from '../workspace/editText.js';
import type { Edit, PathRules } from '../workspace/types.js';
import { UsageError } from './io.js';

export interface PatchFlags {
  workspace?: string;
  format?: string;
  allow?: string[];
  json?: boolean;
  'state-dir'?: string;
}

/** The edit in FILE (`-`: stdin), in the format named or the one its text is in. */
export function readEdit(file: string, format: string | undefined): Edit {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the edit '${file}': ${(err as Error).message}`);
  }
  try {
    return editFromText(text, format);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function pathRules(flags: PatchFlags): PathRules {
  return { deny: DEFAULT_DENY, allow: flags.allow ?? [], maxFileBytes: DEFAULT_MAX_FILE_BYTES };
}

/** `--workspace DIR`, a folder that exists and can be written, absolute. */
export function workspaceFlag(flags: { workspace?: string }, command: string): string {
  if (flags.workspace === undefined)
    throw new UsageError(`maestro ${command}: --workspace DIR is needed`, { command });
  const issue = workspacePathIssues({ path: flags.workspace }, process.cwd())[0];
  if (issue) throw new UsageError(`maestro ${command}: --workspace: ${issue.message}`);
  return workspaceRoot({ path: flags.workspace }, process.cwd());
}
