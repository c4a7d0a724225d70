/** Help texts: `maestro --help` and `maestro <command> --help`. */
export const mainHelp = `maestro — OTP-style supervision trees for LLM agent missions

Usage: maestro <command> [options]

Commands:
  run FILE        run a mission file (YAML or JSON) to its end and print the result
  validate FILE   check a mission file and print what is wrong, with file:line and field
  schema          print the JSON Schema of mission files (for editors)
  help [COMMAND]  show help for a command

Options:
  -h, --help      show help
  -v, --version   print the version

Exit codes: 0 success, 1 the mission failed, 2 a usage or config error.
Docs: README.md`;

export const commandHelp: Record<string, string> = {
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
  -h, --help           show this help`,
  validate: `Usage: maestro validate FILE [--json]

Checks a mission file against the schema and the cross-field rules (agents' providers exist,
stages' agents exist). Prints "ok" or every problem as FILE:LINE path.to.field: message.
Exit code 0 when valid, 2 when not.`,
  schema: `Usage: maestro schema [--out FILE]

Prints the JSON Schema of mission files (draft 2020-12), or writes it to FILE. Point your
editor at it: see "Editor support" in README.md.`,
  help: `Usage: maestro help [COMMAND]`,
};
