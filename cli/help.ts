/** Help texts: `maestro --help` and `maestro <command> --help`. */
import { natsFlagsHelp } from './natsFlags.js';

export const mainHelp = `maestro — OTP-style supervision trees for LLM agent missions

Usage: maestro <command> [options]

Commands:
  run FILE        run a mission file (YAML or JSON) to its end and print the result
  inspect URL     print a running mission's live tree as text (from its --inspect URL)
  replay MISSION  print a mission's history from its event log (what happened, when, who decided)
  worker          serve provider calls for a mission's agents over NATS (a remote worker)
  validate FILE   check a mission file and print what is wrong, with file:line and field
  schema          print the JSON Schema of mission files (for editors)
  maker kmin      the MAKER voting margin k a task needs, and its cost in samples
  help [COMMAND]  show help for a command

Options:
  -h, --help      show help
  -v, --version   print the version

Exit codes: 0 success, 1 the mission failed, 2 a usage or config error.
Docs: README.md`;

export const commandHelp: Record<string, string> = {
  replay: `Usage: maestro replay MISSION [--state-dir DIR] [--json]

Prints a mission's history from its event log, one line per event with the time since the start:
stages, agent calls, every supervisor decision, MAKER snapshots and exhausted votes, the result.
MISSION is a mission id (under --state-dir, default .maestro) or the path of a .jsonl log.
--json prints the events as they are stored.`,
  inspect: `Usage: maestro inspect URL [--once] [--json]

Connects to an inspector (the URL maestro run --inspect printed) and prints the supervision tree
as text, redrawn as it changes, until Ctrl-C. --once prints it once; --json prints the snapshot.`,
  worker: `Usage: maestro worker --nats URL --capability NAME [--capability NAME...] --config FILE [options]

Connects to NATS and serves the calls of the providers named by --capability (provider ids in
--config, a mission file or any file with a providers: map). Short calls come by request/reply in
the queue group maestro.providers; calls that must survive a worker's death come through the
JetStream work queue (acked when done, heartbeats while a model call runs, redelivered if this
worker dies). It registers in the MAESTRO_WORKERS bucket and heartbeats. SIGTERM or SIGINT
drains: no new work, what it holds is finished and acked, then it deregisters and exits 0.
Exits 1 when it cannot connect.

Options:
  --capability NAME    a provider id to serve (repeat, or comma-separate)
  --config FILE        where the providers are configured
  --concurrency N      calls worked on at once per path (default 4)
  --id ID              the worker's id in the registry (default HOST-PID)
  --heartbeat-ms MS    registry heartbeat; 3 missed beats and the worker is lost (default 2000)
  --ack-wait-ms MS     a durable call held by a worker that died is redelivered after this
                       (default 30000; all workers of a capability share the last one set)
  --log-level LEVEL    default info

${natsFlagsHelp}`,
  run: `Usage: maestro run FILE [options]

Runs a mission through its supervision tree on the in-process transport. Progress goes to
stderr, the result (the last stage's output) to stdout. Every event is appended to
<state-dir>/missions/<mission-id>.jsonl.

Options:
  --json               print a machine-readable result on stdout
  --input TEXT         text for {{input}} in stage prompts (overrides the file's input)
  --state-dir DIR      where event logs go (default: .maestro, or $MAESTRO_STATE_DIR)
  --mission-id ID      use this mission id instead of a generated one
  --log-level LEVEL    trace, debug, info, warn, error, fatal or silent (default: error; progress lines show the rest)
  -q, --quiet          no progress lines
  -h, --help           show this help
  --nats URL           run the agents on remote workers (maestro worker) over NATS; the
                       in-process transport is the default
  --wait-workers-ms MS with --nats: wait this long for a worker per provider (default 10000)
  --inspect[=PORT]     serve the live inspector (page and ws) on 127.0.0.1 while the mission runs
  --keep-open          with --inspect: keep serving after the mission ends, until Ctrl-C
  --inspect-token T    allow writes (approvals, stop) from clients that give it (or MAESTRO_INSPECT_TOKEN)

${natsFlagsHelp}`,
  validate: `Usage: maestro validate FILE [--json]

Checks a mission file against the schema and the cross-field rules (agents' providers exist,
stages' agents exist). Prints "ok" or every problem as FILE:LINE path.to.field: message.
Exit code 0 when valid, 2 when not.`,
  schema: `Usage: maestro schema [--out FILE]

Prints the JSON Schema of mission files (draft 2020-12), or writes it to FILE. Point your
editor at it: see "Editor support" in README.md.`,
  maker: `Usage: maestro maker <subcommand> [options]

MAKER (arXiv 2511.09030) decides each step by first-to-ahead-by-k voting among samples.

Subcommands:
  kmin    the smallest k for a task to succeed end to end with a target probability

See: maestro maker kmin --help`,
  'maker kmin': `Usage: maestro maker kmin --error-rate E --steps S --target T [options]

Prints the smallest voting margin k such that a task of S steps, each decided by
first-to-ahead-by-k voting among samples that are wrong with probability E, succeeds end to
end with probability at least T; then the per-step success p_sub, the whole-task success
p_full, and the expected samples per step (worst case: all wrong samples agree).

Options:
  --error-rate E          error rate of one sample, in [0, 1); must be below 0.5
  --steps S               steps in the whole task, a positive integer
  --target T              wanted whole-task success probability, in (0, 1)
  --steps-per-agent M     steps per agent call (default 1); E is then the error rate of M steps
  --red-flag-rate R       fraction of samples red-flagged and redrawn, in [0, 1) (default 0)
  --json                  print one JSON object
  -h, --help              show this help`,
  help: `Usage: maestro help [COMMAND]`,
};
