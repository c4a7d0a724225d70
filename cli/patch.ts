/**
 * `maestro patch check|apply|restore`: an edit a model wrote (a unified diff, or search/replace
 * blocks), checked against a workspace's files and the path rules, applied to it as one
 * transaction with a backup, or rolled back to the bytes before.
 */
import { fsTree } from '../workspace/fsTree.js';
import { planEdit } from '../workspace/planEdit.js';
import { pathRules, readEdit, workspaceFlag, type PatchFlags } from './editInput.js';
import { UsageError, type Io } from './io.js';
import { planJson, planLines } from './render/editPlan.js';

export async function patchCommand(rest: string[], flags: PatchFlags, io: Io): Promise<number> {
  const [sub, ...args] = rest;
  if (sub === 'check') {
    const root = workspaceFlag(flags, 'patch');
    if (args.length !== 1)
      throw new UsageError('maestro patch check: expected one edit FILE (- for stdin)', {
        command: 'patch',
      });
    const plan = planEdit(readEdit(args[0]!, flags.format), fsTree(root), pathRules(flags));
    if (flags.json) io.out(JSON.stringify(planJson(plan), null, 2));
    else for (const l of planLines(plan)) io.out(l);
    return plan.ok ? 0 : 1;
  }
  if (sub === 'apply' || sub === 'restore') {
    const { patchTransaction } = await import('./patchApply.js');
    return patchTransaction(sub, args, flags, io);
  }
  throw new UsageError(
    sub === undefined
      ? 'maestro patch: expected a subcommand: check, apply or restore'
      : `maestro patch: unknown subcommand '${sub}' (expected: check, apply, restore)`,
    { command: 'patch' },
  );
}
