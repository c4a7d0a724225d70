/**
 * The house's arrows (README "Folders"), checked by `npm test`: no import cycles, and each folder
 * imports only the folders below it. kernel ← config ← transport ← log ← supervisors ← actors ←
 * machines ← runner ← daemon ← cli; inspector beside the runner. Type-only imports count.
 */
const below = {
  kernel: [],
  config: ['kernel'],
  transport: ['kernel', 'config'],
  log: ['kernel', 'config', 'transport'],
  supervisors: ['kernel', 'config', 'log'],
  actors: ['kernel', 'config', 'transport', 'supervisors', 'log'],
  machines: ['kernel', 'config', 'transport', 'supervisors', 'log', 'actors'],
  inspector: ['kernel', 'config', 'transport', 'supervisors', 'log', 'actors', 'machines'],
  runner: [
    'kernel',
    'config',
    'transport',
    'supervisors',
    'log',
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
    'actors',
    'machines',
    'inspector',
    'runner',
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
