/** Help texts: `maestro --help` and `maestro <command> --help`. */
import { natsFlagsHelp } from './natsFlags.js';

export const mainHelp = `maestro — OTP-style supervision trees for LLM agent missions

Usage: maestro <command> [options]

Commands:
  run FILE        run a mission file (YAML or JSON) to its end and print the result
  daemon          the long-running service: HTTP API, inspector, durable missions that resume
  submit FILE     send a mission file to the running daemon and print its id
  status [ID]     the daemon's missions, or one mission's state, stages, approvals and result
  approve [ID]    list the approvals missions wait for, or approve (or --reject) one
  stop MISSION    ask the daemon to stop a running mission
  history prune   take finished missions past the retention (--retain) off the state directory
  arch stats      what each agent architecture achieved here: runs and success by task and stage
  verify          run a command (test, lint) in a workspace inside the sandbox: its exit and tests
  patch           check, apply (with a backup) or restore a model's edit on a workspace
  mcp             serve Maestro's skills as MCP tools to a host (Claude Code, Codex, an IDE)
  inspect URL     print a running mission's live tree as text (from its --inspect URL)
  replay MISSION  print a mission's history from its event log (what happened, when, who decided)
  worker          serve provider calls for a mission's agents over NATS (a remote worker)
  nats-config     the NATS server's authorization block for a daemon, its workers and clients
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
  mcp: `Usage: maestro mcp [--root DIR]... [--agents FILE] [--state-dir DIR] [--http [HOST:]PORT]

Serves Maestro's skills to an MCP host as 25 tools: consult, ensemble, select_best; vote,
red_flag_check, calibrate; verify, patch_check, patch_apply, patch_restore; workflow_start,
workflow_state, stage_report, approvals_pending, approval_submit, approval_history; mission_run,
mission_status, mission_events, mission_stop; classify_task, select_architecture, arch_stats;
evidence_chain, metrics. Over stdio by default (the host spawns it): stdout carries JSON-RPC
only, every log line goes to stderr. Missions and their gates are the runtime's durable records
in the state dir: they survive the host and this server, and a gate is answered by id
(approvals_pending, then approval_submit) whenever the host likes. No tool waits for a person.

Options:
  --root DIR           a directory tools may touch (workspaces, mission files); repeatable
                       (default: the current directory, unless it is / or your home).
                       Anything outside is refused.
  --agents FILE        providers and agents (a mission file, or just those two sections) that
                       consult, ensemble, vote and workflow_start may call (keys from this
                       server's environment, through the file's apiKeyEnv; never from a
                       tool's arguments)
  --state-dir DIR      missions, logs and workspace journals (default: .maestro, or
                       $MAESTRO_STATE_DIR); held by this server as a daemon holds it
  --daemon URL         send missions to this running maestro daemon instead (its token from
                       $MAESTRO_TOKEN or the state dir's daemon.json)
  --allow-env NAME     a variable of this server's environment a host's mission may read
                       (the agents file's own key variables only in its providers, copied as
                       they are)
  --http [HOST:]PORT   serve Streamable HTTP at http://HOST:PORT/mcp instead of stdio
                       (HOST default 127.0.0.1; a local Host and Origin are required there)
  --token TOKEN        the bearer token HTTP requests must carry (also $MAESTRO_MCP_TOKEN);
                       without one a token is made and written to <state-dir>/mcp.json (0600);
                       required when HOST is not loopback
  --log-level LEVEL    stderr's level (default: info)

In a host's config (the usual mcpServers shape; absolute paths, a clone built by npm ci):
  {"mcpServers": {"maestro": {"command": "node", "args": ["/path/to/maestro/cli/bin.js",
    "mcp", "--root", "/path/to/project", "--agents", "/path/to/project/agents.yaml"]}}}

Exit codes: 0 stopped (SIGINT, SIGTERM, or the host closed stdin), 2 a usage or config error.`,
  daemon: `Usage: maestro daemon [--state-dir DIR] [--listen HOST:PORT] [options]

The long-running root of the supervision tree. Holds the state directory (one daemon per
directory: a second one refuses to start), resumes the missions it finds there (a finished
stage, approval or MAKER step is never done again), and serves on one port the HTTP API
(/api/missions, /api/approvals; see README) and the inspector (/). SIGTERM or Ctrl-C: stops
taking missions, suspends the running ones (their trees stop in order), syncs the logs, exits 0.
Writes <state-dir>/daemon.json (mode 0600) with its URL and token for submit, status, approve
and stop.

Options:
  --state-dir DIR       missions' event logs and the lock (default .maestro, or $MAESTRO_STATE_DIR)
  --listen HOST:PORT    where to serve (default 127.0.0.1:7433, or $MAESTRO_LISTEN); port 0 = free
  --token TOKEN         bearer token for every write (default $MAESTRO_TOKEN, else the one kept in
                        <state-dir>/daemon-token, made at the first start and reused by every
                        later one; daemon.json gives it to clients). Away from loopback, reads
                        need it too.
  --rotate-token        replace the kept token with a new one (clients holding the old get 401)
  --retain AGE|COUNT    finished missions kept: an age (30m, 12h, 7d, 2w: finished longer ago go)
                        or a count (1000: the newest thousand stay), or 'forever'. Pruned after
                        the start and every hour (default 7d)
  --archive DIR         move pruned logs here, gzipped (<id>.jsonl.gz), instead of deleting them
  --shutdown-ms MS      how long a mission may take to suspend before it is killed (default 30000)
  --sync-ms MS          fdatasync each log at most this long after a write (default 50)
  --wait-workers-ms MS  with --nats: wait this long for a worker per provider (default 10000)
  --auth-reads          HTTP reads need the token too (always so away from loopback)
  --nats-open-reads     with --nats: reads over NATS (maestro.daemon.<verb>) answer without the
                        token (by default every NATS request needs it)
  --config FILE         the daemon's config (YAML or JSON): submissions.cli, the commands submitted
                        missions' cli providers may run ([{command, args, env, cwd}]),
                        submissions.env, the variables they may read, submissions.paths, the
                        directories a submission by path may name a file in, and
                        submissions.maxAnswerBytes / maxPromptBytes, ceilings on their caps
  --allow-cli 'CMD ARG...'  a submitted cli provider may run this absolute command with exactly
                        these args ({prompt} where the prompt goes); repeat. Default: none
  --allow-env NAME      a submitted mission may read this variable (\${NAME}, an openai
                        apiKeyEnv); repeat. Default: none (the daemon's environment stays its own)
  --log-level LEVEL     log level (default info). The log goes to stderr, as every command's
                        diagnostics do (stdout is for results): on a terminal, each record and
                        each mission's events as lines in words; otherwise pino's JSON lines
                        (a mission's events as records {mission, event}, at level info)
  --json, --pretty      JSON lines, or words, whatever stderr is

${natsFlagsHelp}
  With --nats, missions' agents run on remote workers (maestro worker).`,
  history: `Usage: maestro history prune [--retain AGE|COUNT] [--archive DIR] [--dry-run] [--json]

Takes the finished missions the retention lets go off the state directory: their logs are deleted,
or moved gzipped to --archive DIR, and the index (<state-dir>/index.jsonl) is rewritten without
them, with a line saying what went where. Missions not over are never pruned. With the daemon
running on the state directory, it prunes (through its API, with its own --archive); with none,
this command does, under the directory's lock. An archive folder that cannot be written stops the
prune before anything is removed.

Options:
  --retain AGE|COUNT   an age (30m, 12h, 7d, 2w: finished longer ago go), a count (1000: the newest
                       thousand stay) or 'forever' (default 7d, as the daemon's)
  --archive DIR        move the logs here, gzipped, instead of deleting them (no daemon running)
  --dry-run            print what would go, and take nothing
  --json               the result as JSON: {pruned: [ids], to, bytes, dryRun, retain}
  --url URL, --token TOKEN   the daemon, when it runs (default: <state-dir>/daemon.json)
  --state-dir DIR      the state directory (default: .maestro, or $MAESTRO_STATE_DIR)

Exit codes: 0 pruned (or nothing to prune), 1 stopped by a disk fault midway, 2 a usage error.`,
  arch: `Usage: maestro arch stats [--state-dir DIR] [--json]

Prints what each agent architecture achieved in this state directory: one row per task family,
workflow stage, topology (single, independent, centralized, decentralized, hybrid) and set of
models, with its runs, successes, success rate and mean tokens and turns. The coding workflow
records an outcome per stage in <state-dir>/arch-stats.jsonl and reads the single agent's rate
back to choose the architecture (Kim et al., arXiv:2512.08296: one agent once it succeeds 45% of
the time). A line it cannot read is named on stderr with its number and left out.

Options:
  --state-dir DIR      the state directory (default: .maestro, or $MAESTRO_STATE_DIR)
  --json               the result as JSON: {file, rows: [{family, stage, topology, models, runs,
                       successes, rate, meanTokens?, meanTurns?}], skipped: [{line, why}]}

Exit codes: 0 printed (nothing recorded yet included), 2 a usage error.`,
  verify: `Usage: maestro verify --workspace DIR [--timeout-ms MS] [--network] [--env NAME] [--json] -- CMD [ARG...]

Runs CMD, as argv (never through a shell), in DIR inside bubblewrap: DIR writable, the rest of
the filesystem read-only, your home, /run and the state directory hidden, a private /tmp, no
network, an environment of PATH, HOME, LANG and TERM only, 4 GiB of address space, 1 MiB of
output; past the timeout the whole process tree is killed. Prints the command's output (its
last 1 MiB), then a line with its exit, time and, for node --test, vitest, jest (--json) and
pytest, the tests passed and failed. Exits with the command's exit code (127: not found; 1:
killed). No bubblewrap: it says how to install it (apt-get install bubblewrap) and runs nothing.

Options:
  --workspace DIR     the folder to run in (it must exist and be writable)
  --timeout-ms MS     kill the command's whole tree after this long (default 300000)
  --network           let the command reach the network (the host's, 127.0.0.1 included)
  --env NAME          let it see this variable too; repeat
  --sandbox none      run unconfined (a warning every run; only on a machine you trust)
  --json              the result as JSON: exitCode, signal, durationMs, killed, counts, tails`,
  patch: `Usage: maestro patch check|apply --workspace DIR [--format F] [--allow GLOB] [--json] EDIT
       maestro patch restore --workspace DIR APPLY_ID [--json]

EDIT is a file (- for stdin) holding a unified diff or search/replace blocks (<<<<<<< SEARCH /
======= / >>>>>>> REPLACE), as models write them. check says whether it applies and how (hunk
headers recounted, offsets, fuzz: every fallback named) or where and why it does not, writing
nothing. apply writes it to DIR as one transaction: the bytes before are kept in a backup first,
every file changes or none does, and it prints the apply id. restore brings back the bytes
before that apply. Paths: relative, inside DIR, not through a symlink out of it; .git/**,
**/.env*, **/*.pem, **/*key*, node_modules/** refused unless --allow lifts one; 1 MiB a file.

Options:
  --workspace DIR     the folder (a git repository, or a plain folder)
  --format F          unified_diff or search_replace (default: read from the edit)
  --allow GLOB        lift a refused path (--allow .env.example); repeat
  --state-dir DIR     where backups and the journal go (default .maestro, or $MAESTRO_STATE_DIR)
  --json              the result as JSON

Exit codes: 0 applies (applied, restored), 1 refused (nothing written), 2 a usage error.`,
  submit: `Usage: maestro submit FILE [--input TEXT] [--mission-id ID] [--follow] [--json] [daemon options]

Reads a mission file here and sends its text to the running daemon (maestro daemon), which
validates it and starts it; prints the new mission's id. A bad file is refused with every problem
as FILE:LINE path.to.field: message, and nothing starts. An openai provider's apiKeyEnv must be
set in the daemon's environment (under daemon --nats, in the workers'), not in this shell.

Options:
  --input TEXT         text for {{input}} in stage prompts
  --mission-id ID      use this mission id instead of a generated one
  --follow             print the mission's events on stderr until it ends (in words on a
                       terminal, JSON lines otherwise); exit 0 if it succeeded, 1 if not
  --json               print the mission's summary as JSON (and --follow's events as JSON lines)
  --pretty             --follow's events in words even when stderr is not a terminal

Daemon options:
  --url URL            the daemon (default: $MAESTRO_URL, else <state-dir>/daemon.json)
  --token TOKEN        its API token (default: $MAESTRO_TOKEN, else daemon.json)
  --state-dir DIR      where to find daemon.json (default: .maestro, or $MAESTRO_STATE_DIR)`,
  status: `Usage: maestro status [MISSION] [--json] [daemon options]

Without MISSION, a table of the daemon's missions: id, state, stage, when submitted. With it, the
mission's state, current stage, finished stages, a plan stage's tasks, a MAKER stage's progress
(step N of M, samples per step, red-flag rate, steps per second, ETA), pending approvals, usage,
and its result or error. A failed mission's status still exits 0. --json prints what the daemon answered.
Daemon options: --url, --token, --state-dir (see: maestro submit --help).`,
  approve: `Usage: maestro approve [APPROVAL] [--reject [--feedback TEXT]] [--json] [daemon options]

Without APPROVAL, lists the approvals missions are waiting for: id (MISSION/STAGE/ATTEMPT),
mission, stage, when asked, and the first line of the output to approve. With it, approves, or
with --reject rejects (the stage revises with --feedback). APPROVAL may be a mission id (or
MISSION/STAGE) when exactly one of its approvals is pending. Answering twice changes nothing.
Daemon options: --url, --token, --state-dir (see: maestro submit --help).`,
  stop: `Usage: maestro stop MISSION [--reason TEXT] [--json] [daemon options]

Asks the daemon to stop a running mission; it ends 'stopped' once its tree has shut down.
A mission already over is refused. --reason is recorded in its event log.
Daemon options: --url, --token, --state-dir (see: maestro submit --help).`,
  replay: `Usage: maestro replay MISSION [--state-dir DIR] [--json | --pretty]

Prints a mission's history from its event log, one line per event with the time since the start:
stages, agent calls, every supervisor decision, the plan's tasks, a MAKER task's progress (step
N of M, samples per step, red flags, steps per second; at most a line per second of the run),
exhausted votes and snapshots, the result. MISSION is a mission id (under --state-dir, default
.maestro) or the path of a .jsonl log. In words on a terminal; otherwise, or with --json, the
events as they are stored. --pretty: words whatever stdout is.`,
  inspect: `Usage: maestro inspect URL [--once] [--json]
       maestro inspect missions [--status STATE[,STATE]] [--name TEXT] [--limit N] [--offset N] [--json]
       maestro inspect timeline MISSION [--json] [--state-dir DIR]

Connects to an inspector (the URL maestro run --inspect printed) and prints the supervision tree
as text, redrawn as it changes, until Ctrl-C. --once prints it once; --json prints the snapshot.

missions: the daemon's missions (--url, or the state dir's daemon.json), newest first: their
state (recovering, running, awaiting_approval, suspended, succeeded, failed, stopped), id, name,
stage and times; --status keeps those states, --name those whose name or id holds TEXT; 50 a
page (--limit, --offset). timeline: a mission's history in words, from its event log (as
maestro replay).`,
  worker: `Usage: maestro worker --nats URL --capability NAME [--capability NAME...] --config FILE [options]

Connects to NATS and serves the calls of the providers named by --capability (provider ids in
--config, a mission file or any file with a providers: map). Short calls come by request/reply in
the queue group maestro.providers; calls that must survive a worker's death come through the
JetStream work queue (acked when done, heartbeats while a model call runs, redelivered if this
worker dies). It registers in the MAESTRO_WORKERS bucket and heartbeats. SIGTERM or SIGINT
drains: no new work, what it holds is finished and acked, then it deregisters and exits 0.
Exits 1 when it cannot connect. It advertises a hash of each provider's definition (no secrets):
a mission that names a provider differently (another model, latency, prices...) refuses to start,
naming the fields, and a call for another definition is refused; serve the mission's own file.

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
  --json               print a machine-readable result on stdout, and progress as JSON lines
  --pretty             progress in words even when stderr is not a terminal (it is JSON
                       lines otherwise)
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
  --approve-all        approve every approval gate as it opens (scripted runs)
  --language CODE      a workflow's reports in this language, where its model wrote one (ko, ...)

Approval gates: with stdin a terminal, a prompt asks: approve, reject [FEEDBACK] or stop. With
stdin piped, each line is one answer (e.g. printf 'reject shorter\\napprove\\n' | maestro run F).
The inspector's page answers too, with --inspect-token. With none of these (stdin closed, no
token, no --approve-all) a gate fails the mission at once, saying how to answer, unless its
own timeoutMs will answer it. An open page keeps the inspector (and run) up after the end,
until it closes or Ctrl-C.

${natsFlagsHelp}`,
  validate: `Usage: maestro validate FILE [--json]

Checks a mission file against the schema and the cross-field rules (agents' providers exist,
stages' agents exist, prompts use only {{input}} and {{previous}}, a json step task's only
{{state}}, {{previous}} and {{step}}), all in one pass. Prints "ok" or every problem as
FILE:LINE path.to.field: message, sorted by line. Warns on stderr, without failing, about an
openai provider's apiKeyEnv unset in this environment (it may be set where the mission runs).
--json prints {ok, file, name | issues, warnings}. Exit code 0 when valid, 2 when not.`,
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
  'nats-config': `Usage: maestro nats-config --daemon USER [--worker USER[:ID]:CAP[,CAP...]]... [--client USER]... [--out FILE]

Prints the nats-server authorization block that makes the bus a trust boundary the server
enforces: the daemon may do everything; a worker may only take calls for its own capabilities,
answer the requests it received, write its own registry key and record durable results; a
client may only call the daemon's API (maestro.daemon.<verb>). Each user gets its own reply
inbox (_INBOX_<user>: connect with --nats-inbox-prefix) and a random password. Missions'
events, approvals and submissions come only from the daemon.

Options:
  --daemon USER          the daemon's user (also for maestro run --nats)
  --worker USER:CAP,...  a worker's user and the capabilities it serves (USER:ID:CAP,... when its
                         --id is not USER); repeat
  --client USER          a user for a client of the daemon's NATS API (maestro.daemon.<verb>); repeat
  --out FILE             write the block there, mode 0600, instead of printing it`,
  help: `Usage: maestro help [COMMAND]`,
};

/**
 * A command's usage for a bad flag: the Usage line and the sections that list flags, without the
 * prose (that is for --help).
 */
export function usageOf(command: string): string {
  const help = commandHelp[command];
  if (help === undefined) return mainHelp;
  const paragraphs = help.split('\n\n');
  const kept = paragraphs.filter(
    (p, i) => i === 0 || /^\S[^\n]*options:/i.test(p) || /^ {2}-/m.test(p),
  );
  return [...kept, `(maestro ${command} --help for more)`].join('\n\n');
}
