/**
 * The mission file's cross-field rules (OTP's `bad_combination`): every agent's provider exists,
 * every stage's agents exist, names are unique, a stage is one of prompt, maker, plan or workflow, a
 * prompt uses only the placeholders Maestro fills, and a prompt's own text fits its providers'
 * `maxPromptBytes`.
 *
 * They run over whatever parts of the file parsed, not only over a valid file: the schema's
 * errors and these come in one pass, so a user fixes a file once. So every rule reads its
 * fields defensively (a field the schema refused may hold anything) and stays silent about a
 * value of the wrong type, which the schema reports already. Ids count as known as soon as they
 * are written, even in an agent or provider that has errors of its own: one mistake, one message.
 */
import type { PathIssue } from './interpolate.js';
import { councilStageRules } from './councilRules.js';
import { workflowStageRules } from './workflowRules.js';
import {
  DEFAULT_MAX_PROMPT_BYTES,
  providerConfigSchema,
  type ProviderConfig,
} from './providers.js';

/** `{{name}}` in a stage prompt or a plan goal, filled by `stagePrompt` (machines/stagePlan.ts). */
export const STAGE_PLACEHOLDERS = ['input', 'previous'] as const;
/** `{{name}}` in a json step task's prompt, filled by `jsonTask` (actors/tasks/jsonTask.ts). */
export const STEP_PLACEHOLDERS = ['state', 'previous', 'step'] as const;

// What reads as a placeholder: a name between double braces, spaces allowed (`{{ input }}` is
// not filled either). JSON in a prompt (`{{"a": 1}}`) or a mustache section (`{{#each}}`) is not.
// The prompt library's names (`{{goal}}`, `{{context}}`, … in actors/prompts) are not known here:
// they are filled in Maestro's own templates, and a mission's text goes into them as a value.
const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}/g;

type Fields = Readonly<Record<string, unknown>>;

export interface RuleOptions {
  /**
   * Check what only concerns writing the file: `{{placeholders}}`, static prompt sizes and id lengths. Off
   * for a config read back from an event log (see loggedMissionSchema), which was accepted when
   * submitted. @default true
   */
  readonly placeholders?: boolean;
}

/** Every cross-field problem of a (possibly partly invalid) mission value. */
export function missionRules(value: unknown, options: RuleOptions = {}): PathIssue[] {
  const m = fields(value);
  if (!m) return [];
  const providers = fields(m['providers']) ?? {};
  const agents = items(m['agents']);
  const agentIds = new Set(
    agents.map((a) => text(fields(a)?.['id'])).filter((id) => id !== undefined),
  );
  return [
    ...duplicateAgentIds(agents),
    ...agents.flatMap((a, i) => agentProvider(fields(a), i, providers)),
    ...duplicateStageNames(items(m['stages'])),
    ...items(m['stages']).flatMap((s, i) =>
      stageShape(fields(s), i, agentIds, fields(m['workspace'])),
    ),
    ...(options.placeholders === false
      ? []
      : items(m['stages']).flatMap((s, i) => stagePlaceholders(fields(s), i))),
    ...(options.placeholders === false
      ? []
      : items(m['stages']).flatMap((s, i) => stagePromptSize(fields(s), i, agents, providers))),
    ...(options.placeholders === false ? [] : idLengths(m, agents, providers)),
  ];
}

/** The longest id a new mission may use (its name names the log file). */
export const ID_MAX_LENGTH = 128;

/** Every id the file defines (the mission's name, provider keys, agent ids, stage names) within ID_MAX_LENGTH. */
function idLengths(m: Fields, agents: unknown[], providers: Fields): PathIssue[] {
  const ids: [unknown, (string | number)[]][] = [
    [m['name'], ['name']],
    ...Object.keys(providers).map((k): [unknown, (string | number)[]] => [k, ['providers', k]]),
    ...agents.map((a, i): [unknown, (string | number)[]] => [
      fields(a)?.['id'],
      ['agents', i, 'id'],
    ]),
    ...items(m['stages']).map((s, i): [unknown, (string | number)[]] => [
      fields(s)?.['name'],
      ['stages', i, 'name'],
    ]),
  ];
  return ids
    .filter(([id]) => typeof id === 'string' && id.length > ID_MAX_LENGTH)
    .map(([, path]) => ({ path, message: `expected at most ${ID_MAX_LENGTH} characters` }));
}

function duplicateAgentIds(agents: unknown[]): PathIssue[] {
  const seen = new Set<string>();
  return agents.flatMap((a, i) => {
    const id = text(fields(a)?.['id']);
    if (id === undefined) return [];
    if (seen.has(id)) return [{ path: ['agents', i, 'id'], message: `duplicate agent id '${id}'` }];
    seen.add(id);
    return [];
  });
}

/** The agent's provider exists, and the agent waits for a call at least as long as the provider may take. */
function agentProvider(agent: Fields | undefined, i: number, providers: Fields): PathIssue[] {
  const id = text(agent?.['provider']);
  if (id === undefined) return [];
  if (!Object.hasOwn(providers, id)) {
    return [
      {
        path: ['agents', i, 'provider'],
        message: `unknown provider '${id}' (known: ${known(Object.keys(providers))})`,
      },
    ];
  }
  const timeoutMs = agent?.['timeoutMs'];
  const provider = providerConfigSchema.safeParse(providers[id]);
  const bound = provider.success ? providerBoundMs(provider.data) : undefined;
  if (typeof timeoutMs !== 'number' || bound === undefined || timeoutMs >= bound) return [];
  return [
    {
      path: ['agents', i, 'timeoutMs'],
      message: `${timeoutMs} ms is shorter than provider '${id}' may take (${bound} ms with its timeout and retries); raise it or lower the provider's`,
    },
  ];
}

function duplicateStageNames(stages: unknown[]): PathIssue[] {
  const seen = new Set<string>();
  return stages.flatMap((s, i) => {
    const name = text(fields(s)?.['name']);
    if (name === undefined) return [];
    if (seen.has(name))
      return [{ path: ['stages', i, 'name'], message: `duplicate stage name '${name}'` }];
    seen.add(name);
    return [];
  });
}

/** A stage is a plan, a maker task, or a prompt with agents; and every agent it names exists. */
function stageShape(
  stage: Fields | undefined,
  i: number,
  agentIds: ReadonlySet<string>,
  workspace: Fields | undefined,
): PathIssue[] {
  if (!stage) return [];
  const at = (...rest: (string | number)[]) => ['stages', i, ...rest];
  const unknownAgent = (id: unknown, path: (string | number)[]): PathIssue[] => {
    const name = text(id);
    return name === undefined || agentIds.has(name)
      ? []
      : [{ path, message: `unknown agent '${name}' (known: ${known([...agentIds])})` }];
  };
  const has = (key: string) => stage[key] !== undefined;
  if (has('workflow')) return workflowStageRules(stage, at, unknownAgent, workspace);
  if (has('council')) return councilStageRules(stage, at, unknownAgent);
  const plan = fields(stage['plan']);
  if (has('plan')) {
    const issues: PathIssue[] =
      has('prompt') || has('agents') || has('maker')
        ? [
            {
              path: at('plan'),
              message:
                'a plan stage takes no prompt, agents or maker (its planner makes the tasks)',
            },
          ]
        : [];
    const roles: [string[], unknown][] = [
      [['planner'], plan?.['planner']],
      [['synthesizer'], plan?.['synthesizer']],
      [['monitor', 'reviewer'], fields(plan?.['monitor'])?.['reviewer']],
      [['blackboard', 'summarizer'], fields(plan?.['blackboard'])?.['summarizer']],
    ];
    return [...issues, ...roles.flatMap(([path, id]) => unknownAgent(id, at('plan', ...path)))];
  }
  if (has('maker')) {
    const issues: PathIssue[] =
      has('prompt') || has('agents')
        ? [
            {
              path: at('maker'),
              message:
                'a maker stage takes no prompt or agents (its task makes the prompts, its agent votes)',
            },
          ]
        : [];
    return [...issues, ...unknownAgent(fields(stage['maker'])?.['agent'], at('maker', 'agent'))];
  }
  const issues: PathIssue[] = [];
  if (!has('prompt')) issues.push({ path: at('prompt'), message: 'required (or a maker task)' });
  if (!has('agents')) issues.push({ path: at('agents'), message: 'required (or a maker task)' });
  const agents = items(stage['agents']);
  agents.forEach((id, j) => {
    issues.push(...unknownAgent(id, at('agents', j)));
  });
  const named = agents.filter((id) => typeof id === 'string');
  if (new Set(named).size !== named.length)
    issues.push({ path: at('agents'), message: 'an agent is listed twice' });
  return issues;
}

/** The fields Maestro fills with `{{name}}`, each checked against the names it fills. */
function stagePlaceholders(stage: Fields | undefined, i: number): PathIssue[] {
  const maker = fields(stage?.['maker']);
  const task = fields(maker?.['task']);
  return [
    ...placeholders(stage?.['prompt'], ['stages', i, 'prompt'], STAGE_PLACEHOLDERS),
    ...placeholders(
      fields(stage?.['plan'])?.['goal'],
      ['stages', i, 'plan', 'goal'],
      STAGE_PLACEHOLDERS,
    ),
    ...(task?.['kind'] === 'json'
      ? placeholders(task['prompt'], ['stages', i, 'maker', 'task', 'prompt'], STEP_PLACEHOLDERS)
      : []),
    ...placeholders(
      fields(stage?.['workflow'])?.['task'],
      ['stages', i, 'workflow', 'task'],
      ['input'],
    ),
  ];
}

function placeholders(
  template: unknown,
  path: (string | number)[],
  names: readonly string[],
): PathIssue[] {
  if (typeof template !== 'string') return [];
  const wrong = new Set<string>();
  for (const m of template.matchAll(PLACEHOLDER)) {
    if (!(names.includes(m[1]!) && m[0] === `{{${m[1]}}}`)) wrong.add(m[0]);
  }
  const list = names.map((n) => `{{${n}}}`).join(', ');
  return [...wrong].map((p) => ({ path, message: `unknown placeholder '${p}' (known: ${list})` }));
}

/**
 * A prompt's own text (a stage's prompt, a json step task's), with the role of each agent that
 * answers it, within the agent's provider's `maxPromptBytes`: a prompt that is too big before
 * anything is filled in would fail every call, so it is refused here, not when the mission runs.
 * What `{{input}}`, `{{previous}}` or `{{state}}` add is checked at the call
 * (actors/providers/callCaps.ts). One message a prompt: the first agent over.
 */
function stagePromptSize(
  stage: Fields | undefined,
  i: number,
  agents: unknown[],
  providers: Fields,
): PathIssue[] {
  const maker = fields(stage?.['maker']);
  const task = fields(maker?.['task']);
  return [
    ...promptSize(
      stage?.['prompt'],
      ['stages', i, 'prompt'],
      items(stage?.['agents']),
      agents,
      providers,
    ),
    ...(task?.['kind'] === 'json'
      ? promptSize(
          task['prompt'],
          ['stages', i, 'maker', 'task', 'prompt'],
          [maker?.['agent']],
          agents,
          providers,
        )
      : []),
  ];
}

function promptSize(
  prompt: unknown,
  path: (string | number)[],
  answering: unknown[],
  agents: unknown[],
  providers: Fields,
): PathIssue[] {
  if (typeof prompt !== 'string') return [];
  const own = Buffer.byteLength(prompt, 'utf8');
  for (const id of answering) {
    const agent = agents.map(fields).find((a) => a?.['id'] === id);
    const providerId = text(agent?.['provider']);
    if (providerId === undefined || !Object.hasOwn(providers, providerId)) continue;
    const cap = fields(providers[providerId])?.['maxPromptBytes'] ?? DEFAULT_MAX_PROMPT_BYTES;
    if (typeof cap !== 'number') continue;
    const role = text(agent?.['role']);
    const bytes = own + (role === undefined ? 0 : Buffer.byteLength(role, 'utf8'));
    if (bytes <= cap) continue;
    const withRole = role === undefined ? '' : ` (with the role of agent '${String(id)}')`;
    return [
      {
        path,
        message: `prompt of ${bytes} bytes${withRole} is over provider '${providerId}' maxPromptBytes (${cap})`,
      },
    ];
  }
  return [];
}

/**
 * The longest a provider may take on one call, when it bounds it: every HTTP attempt's timeout
 * plus a second of retry backoff per retry (openai), or the timeout plus the kill grace (cli).
 */
export function providerBoundMs(p: ProviderConfig): number | undefined {
  if (p.kind === 'openai') return p.timeoutMs * (p.maxRetries + 1) + 1000 * p.maxRetries;
  // Each retry waits at most 8 s before it.
  if (p.kind === 'cli') return (p.timeoutMs + 2000) * (p.maxRetries + 1) + 8000 * p.maxRetries;
  return undefined;
}

function known(ids: string[]): string {
  return ids.length ? ids.join(', ') : 'none';
}

function fields(value: unknown): Fields | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Fields)
    : undefined;
}

function items(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
