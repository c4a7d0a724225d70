/**
 * Path rules: which paths an edit may touch. A path is checked as the model wrote it (relative,
 * `/`-separated, no `..`, no NUL), then against the deny globs (picomatch, `dot: true`) unless an
 * allow glob lifts it, then resolved through the tree's symlinks: a path that leads out of the
 * root is refused, and the resolved path meets the globs again (`docs/link` → `.git/config`).
 * Pure: the only view of the disk is `tree.realpath`.
 */
import picomatch from 'picomatch';
import type { EditFailure, PathRules } from './types.js';

/** The rule a refused path broke, named in the failure. */
export type PathRule =
  | 'empty'
  | 'nul'
  | 'absolute'
  | 'backslash'
  | 'dotdot'
  | 'directory'
  | 'deny'
  | 'symlink_escape'
  | 'not_text';

/** How a tree resolves symlinks: the path's real place relative to the root, null when outside. */
export interface PathResolver {
  realpath?(path: string): string | null;
}

export type PathCheck =
  | { ok: true; path: string; resolvedFrom?: string }
  | (Omit<EditFailure, 'hash'> & { reason: 'path_refused'; rule: PathRule });

interface CompiledRules {
  deny: { glob: string; test: (p: string) => boolean }[];
  allow: (p: string) => boolean;
}

const compiled = new WeakMap<PathRules, CompiledRules>();

function compile(rules: PathRules): CompiledRules {
  let c = compiled.get(rules);
  if (!c) {
    const allow = rules.allow.length > 0 ? picomatch(rules.allow, { dot: true }) : () => false;
    c = {
      deny: rules.deny.map((glob) => ({ glob, test: picomatch(glob, { dot: true }) })),
      allow,
    };
    compiled.set(rules, c);
  }
  return c;
}

export function refusePath(
  path: string,
  rule: PathRule,
  message: string,
): Extract<PathCheck, { ok: false }> {
  return { ok: false, reason: 'path_refused', rule, path, message };
}

/** The path as the model wrote it, normalized (`./a//b` → `a/b`), or the rule it breaks. */
export function normalizePath(raw: string): PathCheck {
  const q = `'${raw}'`;
  if (raw.trim() === '') return refusePath(raw, 'empty', 'path refused (empty): no path given');
  if (raw.includes('\0')) return refusePath(raw, 'nul', `path refused (nul): ${q} has a NUL byte`);
  if (raw.startsWith('/') || /^[A-Za-z]:([\\/]|$)/.test(raw) || raw.startsWith('~')) {
    return refusePath(raw, 'absolute', `path refused (absolute): ${q} is not relative to the root`);
  }
  if (raw.includes('\\')) {
    return refusePath(raw, 'backslash', `path refused (backslash): ${q}: write paths with '/'`);
  }
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) {
    return refusePath(raw, 'dotdot', `path refused (dotdot): ${q} has a '..' segment`);
  }
  if (parts.length === 0 || raw.endsWith('/')) {
    return refusePath(raw, 'directory', `path refused (directory): ${q} names no file`);
  }
  return { ok: true, path: parts.join('/') };
}

/** The first deny glob the path matches and no allow glob lifts, if any. */
export function deniedBy(path: string, rules: PathRules): string | undefined {
  const c = compile(rules);
  const hit = c.deny.find((d) => d.test(path));
  if (!hit || c.allow(path)) return undefined;
  return hit.glob;
}

/** Whether an edit may touch `raw`; on success the path to write, symlinks resolved. */
export function checkPath(raw: string, rules: PathRules, tree: PathResolver = {}): PathCheck {
  const norm = normalizePath(raw);
  if (!norm.ok) return norm;
  const path = norm.path;
  const glob = deniedBy(path, rules);
  if (glob !== undefined) {
    return refusePath(path, 'deny', `path refused (deny): '${path}' matches '${glob}'`);
  }
  if (!tree.realpath) return norm;
  const real = tree.realpath(path);
  if (real === null) {
    return refusePath(
      path,
      'symlink_escape',
      `path refused (symlink_escape): '${path}' resolves outside the workspace`,
    );
  }
  if (real === path) return norm;
  const realGlob = deniedBy(real, rules);
  if (realGlob !== undefined) {
    return refusePath(
      path,
      'deny',
      `path refused (deny): '${path}' resolves to '${real}', which matches '${realGlob}'`,
    );
  }
  return { ok: true, path: real, resolvedFrom: path };
}
