/**
 * The house's arrows (README "Folders"), checked by `npm test`: no import cycles, and each folder
 * imports only the folders below it. kernel ← config ← transport ← log ← sandbox ← workspace ←
 * supervisors ← actors ← machines ← runner ← daemon ← mcp ← cli; inspector beside the runner. Type-only
 * imports count.
 */
const below = {
  kernel: [],
  config: ['kernel'],
  transport: ['kernel', 'config'],
  log: ['kernel', 'config', 'transport'],
  // Running a command confined (bubblewrap), and what a run says (exit, counts of tests).
  sandbox: ['kernel', 'config'],
  // Edits to a tree, in worktrees, journaled in the mission log, with rollback.
  workspace: ['kernel', 'config', 'log', 'sandbox'],
  supervisors: ['kernel', 'config', 'log'],
  actors: ['kernel', 'config', 'transport', 'supervisors', 'log', 'sandbox', 'workspace'],
  machines: [
    'kernel',
    'config',
    'transport',
    'supervisors',
    'log',
    'sandbox',
    'workspace',
    'actors',
  ],
  inspector: ['kernel', 'config', 'transport', 'supervisors', 'log', 'actors', 'machines'],
  runner: [
    'kernel',
    'config',
    'transport',
    'supervisors',
    'log',
    'sandbox',
    'workspace',
    'actors',
    'machines',
    'inspector',
  ],
  daemon: [
    'kernel',
    'config',
    'transport',
    'supervisors',
    'log',
    'sandbox',
    'workspace',
    'actors',
    'machines',
    'inspector',
    'runner',
  ],
  // The MCP server: the runtime's skills as tools, over a daemon of its own or a running one.
  mcp: [
    'kernel',
    'config',
    'transport',
    'supervisors',
    'log',
    'sandbox',
    'workspace',
    'actors',
    'machines',
    'inspector',
    'runner',
    'daemon',
  ],
};
const folders = Object.keys(below);

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'an import cycle',
      from: {},
      to: { circular: true },
    },
    ...folders.map((folder) => ({
      name: `arrows-${folder}`,
      severity: 'error',
      comment: `${folder}/ may import only ${below[folder].join(', ') || 'nothing of ours'}`,
      from: { path: `^${folder}/` },
      to: {
        path: `^(${[...folders, 'cli', 'index'].join('|')})(/|\\.ts$)`,
        pathNot: `^(${[folder, ...below[folder]].join('|')})/`,
      },
    })),
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
  },
};
