/**
 * The bounds a config document must keep before the YAML parser sees it. The parser recurses
 * per level of nesting (a few thousand levels overflow the stack) and spends about 5 µs per
 * value (a million-item array takes seconds), so both are checked first, over yaml's own
 * lexer: a flat, non-recursive pass that knows quotes, comments and block scalars, stopped at
 * the first token over a limit. A JSON file goes through the same lexer (JSON is flow YAML).
 */
import { Lexer } from 'yaml';

export interface ConfigLimits {
  /** A larger document is refused unread. @default 1 MiB, the daemon API's body limit */
  readonly maxBytes?: number;
  /** Mappings and sequences inside one another, block and flow together. @default 64 */
  readonly maxDepth?: number;
  /** Values plus collections in the whole document. @default 100000: parsing takes about 5 µs a value, so this is half a second; a 10,000-agent mission is 50,000 to 80,000 */
  readonly maxNodes?: number;
}

export const DEFAULT_CONFIG_LIMITS: Required<ConfigLimits> = {
  maxBytes: 1024 * 1024,
  maxDepth: 64,
  maxNodes: 100_000,
};

/** A limit a document crossed: what to say, and the line (1-based) where it was crossed. */
export interface BoundsViolation {
  readonly message: string;
  readonly line?: number;
}

/** The size check alone, for a file not read yet: `size` in bytes. */
export function sizeViolation(
  size: number,
  limits: ConfigLimits = {},
): BoundsViolation | undefined {
  const max = limits.maxBytes ?? DEFAULT_CONFIG_LIMITS.maxBytes;
  return size > max
    ? { message: `file too large: ${size} bytes (the limit is ${max})` }
    : undefined;
}

// The lexer's zero-width markers: they stand for no source text.
const SCALAR_MARK = '\x1f';
const ZERO_WIDTH = new Set(['\x02', '\x18', SCALAR_MARK]);

interface Level {
  col: number;
  kind: 'map' | 'seq';
}

/** The first limit `text` crosses, or undefined when it keeps them all. */
export function scanConfigBounds(
  text: string,
  limits: ConfigLimits = {},
): BoundsViolation | undefined {
  const sized = sizeViolation(Buffer.byteLength(text, 'utf8'), limits);
  if (sized) return sized;
  const maxDepth = limits.maxDepth ?? DEFAULT_CONFIG_LIMITS.maxDepth;
  const maxNodes = limits.maxNodes ?? DEFAULT_CONFIG_LIMITS.maxNodes;
  // Block collections open by indentation: a stack of (column, kind), as the parser keeps it.
  let block: Level[] = [];
  let flow = 0;
  let nodes = 0;
  let line = 1;
  let col = 0;
  /** The column where the current entry's content began: a key's, once `:` follows it. */
  let entryCol = 0;
  let atEntry = true;
  let afterScalarMark = false;

  const open = (c: number, kind: Level['kind']): boolean => {
    while (block.length > 0 && block[block.length - 1]!.col > c) block.pop();
    const top = block[block.length - 1];
    // A sequence may sit at its parent key's column (`agents:\n- id: a`); a key there ends it.
    if (kind === 'map' && top?.col === c && top.kind === 'seq') block.pop();
    const now = block[block.length - 1];
    if (now?.col === c && now.kind === kind) return false;
    block.push({ col: c, kind });
    nodes++;
    return true;
  };
  const tooDeep = (): BoundsViolation => ({
    message: `nesting too deep: more than ${maxDepth} levels of mappings and sequences`,
    line,
  });
  const tooMany = (): BoundsViolation => ({
    message: `too many values: more than ${maxNodes} values and collections`,
    line,
  });

  for (const token of new Lexer().lex(text)) {
    if (ZERO_WIDTH.has(token)) {
      if (token === SCALAR_MARK) afterScalarMark = true;
      continue;
    }
    const c = col;
    const scalar = afterScalarMark;
    afterScalarMark = false;
    advance(token);
    if (scalar) {
      if (++nodes > maxNodes) return tooMany();
      if (flow === 0 && atEntry) [entryCol, atEntry] = [c, false];
      continue;
    }
    switch (token) {
      case '[':
      case '{':
        if (flow === 0 && atEntry) [entryCol, atEntry] = [c, false];
        flow++;
        if (++nodes > maxNodes) return tooMany();
        if (block.length + flow > maxDepth) return tooDeep();
        break;
      case ']':
      case '}':
        if (flow > 0) flow--;
        break;
      case '-':
      case '?':
      case ':':
        if (flow > 0) break;
        // `-` opens a sequence where it stands, `? key` a mapping; `key:` one where the key began
        if (
          open(token === ':' ? entryCol : c, token === '-' ? 'seq' : 'map') &&
          block.length > maxDepth
        )
          return tooDeep();
        atEntry = true;
        break;
      case '---':
        block = [];
        flow = 0;
        atEntry = true;
        break;
      default:
        if (token === '\n' || token === '\r\n') {
          atEntry = true;
        } else if (
          flow === 0 &&
          atEntry &&
          token[0] !== ' ' &&
          token[0] !== '\t' &&
          token[0] !== '#'
        ) {
          // an anchor, tag or alias starts the entry's content as a scalar would
          [entryCol, atEntry] = [c, false];
        }
        if (token[0] === '*' && ++nodes > maxNodes) return tooMany();
    }
    if (nodes > maxNodes) return tooMany();
  }
  return undefined;

  function advance(source: string): void {
    let last = -1;
    for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) {
      line++;
      last = i;
    }
    col = last === -1 ? col + source.length : source.length - last - 1;
  }
}
