/**
 * The workspace and verification tools: a command run in bubblewrap in a folder (`verify`, as
 * `maestro verify`), and an edit checked, applied as one transaction with its backup, or rolled
 * back (`patch_check`, `patch_apply`, `patch_restore`, as `maestro patch`). Every path is one of
 * the server's roots or inside one; no bubblewrap, no verification (never unconfined).
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import {
  DEFAULT_DENY,
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_SANDBOX_ENV,
} from '../../config/workspace.js';
import { verify } from '../../sandbox/index.js';
import { editFromText, EDIT_TEXT_FORMATS, planJson } from '../../workspace/editText.js';
import { fsTree } from '../../workspace/fsTree.js';
import { planEdit } from '../../workspace/planEdit.js';
import { insideRoots, type McpContext } from '../context.js';
import { defineTool, type McpTool } from '../tool.js';

export const argv = z.array(z.string()).min(1, 'expected the command as argv: ["npm", "test"]');
export const workspaceArg = z.string().min(1);
const edit = {
  workspace: workspaceArg,
  patch: z.string().min(1).describe('a unified diff or search/replace blocks'),
  format: z.enum(EDIT_TEXT_FORMATS).optional(),
  allow: z.array(z.string().min(1)).max(64).optional().describe('globs that lift a deny rule'),
};

const planOut = z.object({
  ok: z.boolean(),
  reason: z.string().optional(),
  message: z.string().optional(),
  path: z.string().optional(),
  hash: z.string().optional(),
  stats: z.object({ files: z.number(), added: z.number(), removed: z.number() }).optional(),
  changes: z.array(z.object({ path: z.string(), kind: z.string() })).optional(),
  applyId: z.string().optional(),
});

export function workspaceTools(ctx: McpContext): McpTool[] {
  const rules = (allow: string[] | undefined) => ({
    deny: DEFAULT_DENY,
    allow: allow ?? [],
    maxFileBytes: DEFAULT_MAX_FILE_BYTES,
  });
  const plan = (a: { workspace: string; patch: string; format?: string; allow?: string[] }) => {
    const root = insideRoots(ctx, a.workspace, 'workspace');
    return { root, plan: planEdit(editFromText(a.patch, a.format), fsTree(root), rules(a.allow)) };
  };
  return [
    defineTool({
      name: 'verify',
      group: 'workspace',
      description:
        'Run an argv command in bubblewrap in a workspace (folder writable, rest read-only, no network, cleared env); exit code, output tails, test counts.',
      input: z.strictObject({
        workspace: workspaceArg,
        argv,
        timeoutMs: z.int().positive().max(3_600_000).default(300_000),
      }),
      output: z.object({
        ok: z.boolean(),
        exitCode: z.number().nullable(),
        killed: z.string().optional(),
        notFound: z.boolean().optional(),
        durationMs: z.number(),
        stdoutTail: z.string(),
        stderrTail: z.string(),
        counts: z
          .object({
            runner: z.string(),
            passed: z.number(),
            failed: z.number(),
            skipped: z.number(),
          })
          .optional(),
      }),
      run: async (a, call) => {
        const cwd = insideRoots(ctx, a.workspace, 'workspace');
        call.progress(`running ${a.argv.join(' ')}`);
        // The state dir (logs, journals, backups) may be under the workspace: hidden. A git dir
        // is bound read-only: a hook planted there would run on the host's next git command.
        const gitDir = gitDirOf(cwd);
        const r = await verify({ name: 'command', argv: a.argv, timeoutMs: a.timeoutMs }, cwd, {
          env: DEFAULT_SANDBOX_ENV,
          hide: [ctx.stateDir],
          ...(gitDir !== undefined && { gitDir }),
          signal: call.signal,
          ...(ctx.bwrapPath !== undefined && { bwrapPath: ctx.bwrapPath }),
        });
        return {
          ok: r.ok,
          exitCode: r.exitCode,
          ...(r.killed && { killed: r.killed }),
          ...(r.notFound && { notFound: true }),
          durationMs: Math.round(r.durationMs),
          stdoutTail: r.stdoutTail.slice(-8000),
          stderrTail: r.stderrTail.slice(-8000),
          ...(r.counts && {
            counts: {
              runner: r.counts.runner,
              passed: r.counts.passed,
              failed: r.counts.failed,
              skipped: r.counts.skipped,
            },
          }),
        };
      },
    }),
    defineTool({
      name: 'patch_check',
      group: 'workspace',
      readOnly: true,
      description:
        'Check an edit against a workspace and the path rules without writing: the files it changes, or where and why it fails.',
      input: z.strictObject(edit),
      output: planOut,
      run: async (a) => planJson(plan(a).plan) as z.input<typeof planOut>,
    }),
    defineTool({
      name: 'patch_apply',
      group: 'workspace',
      description:
        'Apply an edit to a workspace as one transaction (all or nothing, bytes before kept); returns the applyId patch_restore takes.',
      input: z.strictObject(edit),
      output: planOut,
      run: async (a) => {
        const { root, plan: p } = plan(a);
        if (!p.ok) return planJson(p) as z.input<typeof planOut>;
        const r = await (await ctx.workspace(root)).apply(root, p.changes, {
          hash: p.hash,
          stats: p.stats,
        });
        return { ...(planJson(p) as z.input<typeof planOut>), ...r };
      },
    }),
    defineTool({
      name: 'patch_restore',
      group: 'workspace',
      description:
        'Roll a workspace back to the bytes before an apply (refused as a conflict if a file changed since, unless force).',
      input: z.strictObject({
        workspace: workspaceArg,
        applyId: z.string().min(1),
        force: z.boolean().default(false),
      }),
      output: planOut,
      run: async (a) => {
        const root = insideRoots(ctx, a.workspace, 'workspace');
        return (await ctx.workspace(root)).restore(a.applyId, { force: a.force });
      },
    }),
  ];
}

/** The `.git` folder of the repository `dir` is in, if any. */
function gitDirOf(dir: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    const git = join(at, '.git');
    if (existsSync(git) && statSync(git).isDirectory()) return git;
    if (dirname(at) === at) return undefined;
  }
}
