/** An edit's plan in words (`maestro patch`), and as JSON without the files' bytes. */
import type { PlanResult } from '../../workspace/planEdit.js';

/** What a plan says, in words: the files and lines, the fallbacks taken; or where and why it fails. */
export function planLines(r: PlanResult): string[] {
  if (!r.ok)
    return [
      `refused (${r.reason})${r.path ? ` in ${r.path}` : ''}${r.hunk ? `, hunk ${r.hunk}` : ''}: ${r.message}`,
    ];
  const lines = [
    `applies: ${r.stats.files} file(s), +${r.stats.added} -${r.stats.removed}; edit ${r.hash.slice(0, 12)}`,
  ];
  for (const c of r.changes) {
    const what =
      c.before === null
        ? 'new'
        : c.after === null
          ? 'deleted'
          : c.renamedFrom
            ? 'renamed'
            : 'changed';
    lines.push(`  ${what}: ${c.renamedFrom ? `${c.renamedFrom} -> ` : ''}${c.path}`);
  }
  for (const f of r.fallbacks)
    lines.push(
      `  fallback ${f.how}: ${f.path}${f.hunk ? ` hunk ${f.hunk}` : ''}${f.detail ? ` (${f.detail})` : ''}`,
    );
  return lines;
}

export { planJson } from '../../workspace/editText.js';
