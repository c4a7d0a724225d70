/**
 * `maestro patch apply` and `maestro patch restore`: the transaction half of `maestro patch`.
 * The workspace keeps its backups and its journal under the state directory; an apply a crash
 * cut short is settled (wholly before or wholly after) when the workspace is opened again.
 */
import { Workspace } from '../workspace/workspace.js';
import { fsTree } from '../workspace/fsTree.js';
import { planEdit } from '../workspace/planEdit.js';
import { UsageError, type Io } from './io.js';
import { pathRules, readEdit, workspaceFlag, type PatchFlags } from './editInput.js';
import { planJson, planLines } from './render/editPlan.js';

export async function patchTransaction(
  sub: 'apply' | 'restore',
  args: string[],
  flags: PatchFlags,
  io: Io,
): Promise<number> {
  const root = workspaceFlag(flags, 'patch');
  if (args.length !== 1)
    throw new UsageError(
      sub === 'apply'
        ? 'maestro patch apply: expected one edit FILE (- for stdin)'
        : 'maestro patch restore: expected one APPLY_ID (maestro patch apply prints it)',
      { command: 'patch' },
    );
  const stateDir = flags['state-dir'] ?? process.env.MAESTRO_STATE_DIR ?? '.maestro';
  const ws = await Workspace.open(root, { stateDir });
  try {
    for (const r of ws.recovered)
      io.err(
        `maestro patch: apply ${r.applyId} had been cut short: the tree is as ${r.outcome === 'after' ? 'after it (kept)' : r.outcome === 'before' ? 'before it (rolled back)' : 'it was: its target is gone'}`,
      );
    if (sub === 'restore') {
      const r = await ws.restore(args[0]!);
      if (flags.json) io.out(JSON.stringify(r, null, 2));
      else
        io.out(
          r.ok
            ? `restored: the bytes before ${args[0]} are back (restore ${r.applyId})`
            : `not restored (${r.reason})${r.path ? ` at ${r.path}` : ''}: ${r.message}`,
        );
      return r.ok ? 0 : 1;
    }
    const plan = planEdit(readEdit(args[0]!, flags.format), fsTree(root), pathRules(flags));
    if (!plan.ok) {
      if (flags.json) io.out(JSON.stringify(planJson(plan), null, 2));
      else for (const l of planLines(plan)) io.out(l);
      return 1;
    }
    const r = await ws.apply(root, plan.changes, { hash: plan.hash, stats: plan.stats });
    if (flags.json) io.out(JSON.stringify({ ...(planJson(plan) as object), ...r }, null, 2));
    else if (r.ok) {
      for (const l of planLines(plan)) io.out(l.replace(/^applies:/, 'applied:'));
      io.out(
        `apply id: ${r.applyId} (undo: maestro patch restore --workspace ${root} ${r.applyId})`,
      );
    } else
      io.out(
        `not applied (${r.reason})${r.path ? ` at ${r.path}` : ''}: ${r.message}${r.rolledBack ? '; rolled back' : ''}`,
      );
    return r.ok ? 0 : 1;
  } finally {
    ws.close();
  }
}
