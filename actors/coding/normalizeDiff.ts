/**
 * The change a unified diff makes, with what cannot change behaviour taken out, so that two
 * candidates that make the same change in different words compare equal. This is Agentless's
 * clustering key (arXiv 2407.01489), computed over lines rather than over a syntax tree: only the
 * added and removed lines, each under its file, with whitespace and comments removed.
 *
 * Wrongly calling two different changes equal can make a wrong cluster win. Wrongly calling them
 * different only makes a cluster smaller. So every rule here errs toward keeping a line:
 * - comment syntax depends on the file's language: `//` is floor division in Python, `#` starts a
 *   private field in JavaScript and a heading in Markdown, `*` is a CSS selector;
 * - a trailing `// …` is cut only when it follows whitespace outside every string literal, and
 *   never when a `/*` comes before it on the line (a regex such as `/a\/\//` stays whole);
 * - a line with code after a block comment closes stays as it is;
 * - header lines are told apart from body lines by the hunk's counts, so a removed `-- x` is body;
 * - renames, mode changes and binary files have no body lines, so they are kept as `!` lines.
 */

interface Syntax {
  /** Prefixes that make a whole line a comment. */
  line: readonly string[];
  /** Block comments, as [open, close]. */
  blocks: readonly (readonly [string, string])[];
  /** A line starting `* ` continues a block comment (JSDoc), even when its opening is not seen. */
  star: boolean;
  /** `code // …`: the `// …` is a comment. */
  trailingSlash: boolean;
}

const C_BLOCK = ['/*', '*/'] as const;
const HTML_BLOCK = ['<!--', '-->'] as const;
const SLASH: Syntax = { line: ['//'], blocks: [C_BLOCK], star: true, trailingSlash: true };
const CSS: Syntax = { line: [], blocks: [C_BLOCK], star: false, trailingSlash: false };
const HASH: Syntax = { line: ['#'], blocks: [], star: false, trailingSlash: false };
const MARKUP: Syntax = { line: [], blocks: [HTML_BLOCK], star: false, trailingSlash: false };
const COMPONENT: Syntax = { ...SLASH, blocks: [C_BLOCK, HTML_BLOCK] };
/** A file of unknown language has no comments: every line counts. */
const PLAIN: Syntax = { line: [], blocks: [], star: false, trailingSlash: false };

const EXTENSIONS: readonly (readonly [Syntax, string])[] = [
  [
    SLASH,
    'js jsx ts tsx mjs cjs mts cts c h cc cpp cxx hh hpp hxx m mm java kt kts go rs swift ' +
      'scala cs dart groovy gradle php proto zig sol jsonc json5',
  ],
  [CSS, 'css scss less'],
  [HASH, 'py pyi sh bash zsh fish rb pl pm r yaml yml toml cfg conf tf hcl ex exs nim cmake mk'],
  [MARKUP, 'html htm xhtml xml svg md markdown'],
  [COMPONENT, 'vue svelte'],
];
const BY_EXTENSION = new Map(EXTENSIONS.flatMap(([s, exts]) => exts.split(' ').map((e) => [e, s])));
const HASH_NAMES = new Set([
  'makefile',
  'dockerfile',
  'gemfile',
  'rakefile',
  'cmakelists.txt',
  '.gitignore',
  '.dockerignore',
  '.env',
]);

function syntaxOf(path: string): Syntax {
  const base = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  if (HASH_NAMES.has(base)) return HASH;
  const dot = base.lastIndexOf('.');
  return (dot === -1 ? undefined : BY_EXTENSION.get(base.slice(dot + 1))) ?? PLAIN;
}

interface Section {
  path: string;
  /** Changes without body lines: `new`, `deleted`, `rename from x`, `mode 100755`, `binary …`. */
  meta: string[];
  /** Body lines as in the diff: ' ' context, '-' removed, '+' added. */
  body: string[];
  hunks: boolean;
  oldHeader: boolean;
  /** The post-image blob of the `index` line, which tells binary contents apart. */
  blob?: string;
}

/** `+++ b/src/a.js\t2024-…` → `src/a.js`; `/dev/null` stays. */
function headerPath(rest: string): string {
  const path = rest.split('\t')[0]!;
  return path === '/dev/null' ? path : path.replace(/^[ab]\//, '');
}

/** `diff --git a/x b/x`: the halves are equal unless renamed, which `rename to` then corrects. */
function gitLinePath(rest: string): string {
  const half = (rest.length - 1) / 2;
  if (Number.isInteger(half) && rest[half] === ' ') return headerPath(rest.slice(half + 1));
  const b = / b\/(.*)$/.exec(rest);
  return b ? b[1]! : rest;
}

function parseSections(diff: string): Section[] {
  const sections: Section[] = [];
  let current: Section | undefined;
  const open = (path: string): Section => {
    current = { path, meta: [], body: [], hunks: false, oldHeader: false };
    sections.push(current);
    return current;
  };
  /** Lines left in the current hunk, old and new side; `loose` for a hunk without counts. */
  let oldLeft = 0;
  let newLeft = 0;
  let loose = false;
  for (const raw of diff.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const sign = line[0] ?? ' ';
    if (current && (oldLeft > 0 || newLeft > 0) && ' +-\\'.includes(sign)) {
      if (sign === '\\') continue;
      if (sign !== '+') oldLeft--;
      if (sign !== '-') newLeft--;
      current.body.push(line === '' ? ' ' : line);
      continue;
    }
    oldLeft = newLeft = 0;
    if (current && loose && /^[ +-]/.test(line) && !/^(\+\+\+|---) /.test(line)) {
      current.body.push(line);
      continue;
    }
    loose = false;
    if (line.startsWith('diff --git ')) open(gitLinePath(line.slice('diff --git '.length)));
    else if (line.startsWith('--- ')) {
      const s = current && !current.hunks && !current.oldHeader ? current : open('');
      s.oldHeader = true;
      if (s.path === '') s.path = headerPath(line.slice(4));
    } else if (line.startsWith('+++ ')) {
      const s = current ?? open('');
      const path = headerPath(line.slice(4));
      if (path !== '/dev/null') s.path = path;
    } else if (line.startsWith('@@')) {
      const s = current ?? open('');
      s.hunks = true;
      const counts = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/.exec(line);
      if (counts) {
        oldLeft = Number(counts[1] ?? 1);
        newLeft = Number(counts[2] ?? 1);
      } else loose = true;
    } else if (current) readMeta(current, line);
  }
  return sections;
}

function readMeta(s: Section, line: string): void {
  if (line.startsWith('new file mode')) s.meta.push('new');
  else if (line.startsWith('deleted file mode')) s.meta.push('deleted');
  else if (line.startsWith('rename from ')) s.meta.push(line);
  else if (line.startsWith('rename to ')) {
    s.meta.push(line);
    s.path = line.slice('rename to '.length);
  } else if (line.startsWith('new mode ')) s.meta.push(`mode ${line.slice('new mode '.length)}`);
  else if (line.startsWith('index ')) s.blob = /\.\.([0-9a-f]+)/.exec(line)?.[1];
  else if (line.startsWith('Binary files ') || line === 'GIT binary patch') {
    s.meta.push(`binary ${s.blob ?? ''}`.trim());
  }
}

/**
 * What of a line is code, given the block comment it starts in (its closing delimiter), and the
 * block comment it ends in. `code` undefined: the line is only a comment.
 */
function codeOf(text: string, syntax: Syntax, inside?: string): { code?: string; inside?: string } {
  const t = text.trim();
  if (inside !== undefined) {
    const end = t.indexOf(inside);
    if (end === -1) return { inside };
    return t.slice(end + inside.length).trim() === '' ? {} : { code: text };
  }
  if (syntax.line.some((p) => t.startsWith(p)) && !t.startsWith('#!')) return {};
  for (const [openWith, close] of syntax.blocks) {
    if (!t.startsWith(openWith)) continue;
    const end = t.indexOf(close, openWith.length);
    if (end === -1) return { inside: close };
    return t.slice(end + close.length).trim() === '' ? {} : { code: text };
  }
  if (syntax.star && /^\*(\s|\/|\*|$)/.test(t)) return {};
  return { code: syntax.trailingSlash ? cutTrailingSlash(text) : text };
}

/** `x = 1; // why` → `x = 1; `; anything it is unsure of stays whole. */
function cutTrailingSlash(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== undefined) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '/' && text[i + 1] === '*') return text;
    else if (c === '/' && text[i + 1] === '/') {
      return i > 0 && /\s/.test(text[i - 1]!) ? text.slice(0, i) : text;
    }
  }
  return text;
}

function normalizeBody(section: Section): string[] {
  const syntax = syntaxOf(section.path);
  // Each side has its own block comment state: context lines advance both.
  const inside: { '-'?: string; '+'?: string } = {};
  const out: string[] = [];
  for (const line of section.body) {
    const sign = line[0];
    const text = line.slice(1);
    if (sign !== '-' && sign !== '+') {
      inside['-'] = codeOf(text, syntax, inside['-']).inside;
      inside['+'] = codeOf(text, syntax, inside['+']).inside;
      continue;
    }
    const { code, inside: after } = codeOf(text, syntax, inside[sign]);
    inside[sign] = after;
    const squeezed = code?.replace(/\s+/g, '') ?? '';
    if (squeezed !== '') out.push(sign + squeezed);
  }
  return out;
}

/**
 * The normalized change of `diff`: per file (sorted by path) a `file <path>` line, then its `!`
 * lines (renames, modes, binary contents), then its removed and added lines, `-` or `+` and the
 * line without whitespace or comments. Files whose changes are all comments are left out.
 */
export function normalizeDiff(diff: string): string {
  const byPath = new Map<string, string[]>();
  for (const section of parseSections(diff)) {
    const lines = [...section.meta.map((m) => `!${m}`), ...normalizeBody(section)];
    if (lines.length === 0) continue;
    byPath.set(section.path, [...(byPath.get(section.path) ?? []), ...lines]);
  }
  return [...byPath]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap(([path, lines]) => [`file ${path}`, ...lines])
    .join('\n');
}
