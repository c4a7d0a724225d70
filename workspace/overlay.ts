/**
 * The tree as an edit is being planned: the files it has changed so far laid over the files it
 * read. Each format's planner reads and writes here, a later block or file section seeing what an
 * earlier one wrote; nothing reaches the tree. `changes()` gives each touched path's bytes before
 * (as read) and after. Every path goes through the path rules once, on first use, and every read
 * and write through the size cap.
 */
import { checkPath, type PathRule } from './paths.js';
import type { EditTree } from './fsTree.js';
import type { EditFailure, FileChange, PathRules } from './types.js';

/** A failure before the edit's hash is put on it. */
export type Refusal = Omit<EditFailure, 'hash'> & { rule?: PathRule };

export type Opened = { ok: true; path: string } | Refusal;

interface Entry {
  before: Buffer | null;
  after: Buffer | null;
  renamedFrom?: string;
}

export class EditOverlay {
  private readonly entries = new Map<string, Entry>();
  private readonly resolved = new Map<string, Opened>();

  constructor(
    private readonly tree: EditTree,
    private readonly rules: PathRules,
  ) {}

  /** The path an edit names, checked by the rules and resolved; refused with the rule named. */
  open(raw: string): Opened {
    let r = this.resolved.get(raw);
    if (!r) {
      const c = checkPath(raw, this.rules, this.tree);
      r = c.ok ? { ok: true, path: c.path } : c;
      this.resolved.set(raw, r);
    }
    return r;
  }

  /** The file's current bytes (null: no file), or too_large when over the cap. */
  read(path: string): { ok: true; bytes: Buffer | null } | Refusal {
    const e = this.entry(path);
    if (e.after && e.after.length > this.rules.maxFileBytes) return this.tooLarge(path, e.after);
    return { ok: true, bytes: e.after };
  }

  /**
   * Whether a file cannot be created at the path: something that is not a file is there (a
   * directory), or a file is where one of its parent directories would be.
   */
  blocked(path: string): boolean {
    const e = this.entry(path);
    if (e.before === null && this.tree.exists !== undefined && this.tree.exists(path)) return true;
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      const p = this.entries.get(parent);
      if (p ? p.after !== null : this.tree.read(parent) !== undefined) return true;
    }
    return false;
  }

  write(path: string, after: Buffer | null, renamedFrom?: string): Refusal | undefined {
    if (after && after.length > this.rules.maxFileBytes) return this.tooLarge(path, after, 'after');
    const e = this.entry(path);
    e.after = after;
    if (renamedFrom !== undefined) e.renamedFrom = renamedFrom;
    return undefined;
  }

  /** Every path whose bytes differ from what was read, in the order first touched. */
  changes(): FileChange[] {
    const out: FileChange[] = [];
    for (const [path, e] of this.entries) {
      const same = e.before === null ? e.after === null : e.after?.equals(e.before) === true;
      if (same) continue;
      const c: FileChange = { path, before: e.before, after: e.after };
      if (e.renamedFrom !== undefined && e.before === null) c.renamedFrom = e.renamedFrom;
      out.push(c);
    }
    return out;
  }

  private entry(path: string): Entry {
    let e = this.entries.get(path);
    if (!e) {
      const before = this.tree.read(path) ?? null;
      e = { before, after: before };
      this.entries.set(path, e);
    }
    return e;
  }

  private tooLarge(path: string, bytes: Buffer, when = 'before'): Refusal {
    return {
      ok: false,
      reason: 'too_large',
      path,
      message: `'${path}' is too large ${when === 'after' ? 'after the edit' : 'to edit'}: ${bytes.length} bytes, over the cap of ${this.rules.maxFileBytes}`,
    };
  }
}
