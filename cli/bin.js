#!/usr/bin/env node
// The `maestro` command: the compiled JavaScript in dist/ (`npm run build`; `npm ci` builds it).
// Development runs the TypeScript sources through tsx instead: cli/dev.js.
let main;
try {
  ({ main } = await import('../dist/cli/main.js'));
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('dist/cli/main.js'))
    throw err;
  process.stderr.write('maestro: dist/ is not built: run `npm run build` (or node cli/dev.js)\n');
  process.exit(2);
}
// Exit as soon as the command is done: a provider call that ignores its abort must not keep
// the process alive (pino flushes its transport on exit).
process.exit(await main(process.argv.slice(2)));
