/**
 * A step task written in the mission file: a JSON initial state, a prompt template, and a model
 * that answers each step with one JSON object `{"answer": ..., "next_state": ..., "done": ...}`.
 * The parser is strict (that object and nothing else, exactly those keys); votes are tallied by
 * the canonical JSON of the whole object, so two samples agree only when they agree on the answer,
 * the next state and whether the task is done. The task ends when a chosen answer says done, or
 * when the state equals the configured goal.
 */
import type { StepParse, StepParseFailure, StepTask } from './stepTask.js';

export interface JsonTaskParams {
  initialState: unknown;
  /** `{{state}}`, `{{previous}}` and `{{step}}` are replaced; the reply format is appended. */
  prompt: string;
  goal?: unknown;
}

export interface JsonTaskState {
  value: unknown;
  done: boolean;
}

const FORMAT =
  '\nReply with exactly one JSON object and nothing else: {"answer": <this step\'s answer>, "next_state": <the state after it>, "done": <true when the task is finished>}';

/** JSON with object keys sorted, so equal values have equal text. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export function createJsonTask(params: JsonTaskParams): StepTask<JsonTaskState, JsonTaskParams> {
  const goal = params.goal === undefined ? undefined : canonicalJson(params.goal);
  return {
    kind: 'json',
    initialState: (p) => ({ value: p.initialState, done: false }),
    prompt: (state, step, previous) =>
      params.prompt
        .replaceAll('{{state}}', canonicalJson(state.value))
        .replaceAll('{{previous}}', previous ?? 'none')
        .replaceAll('{{step}}', String(step)) + FORMAT,
    parse: (text) => parseJsonAnswer(text),
    replay: (_state, answer) => {
      const parsed = parseJsonAnswer(answer);
      if ('error' in parsed) throw new Error(`not a json task answer: ${parsed.error}`);
      return parsed.nextState;
    },
    isDone: (state) => state.done || (goal !== undefined && canonicalJson(state.value) === goal),
  };
}

export function parseJsonAnswer(text: string): StepParse<JsonTaskState> | StepParseFailure {
  let v: unknown;
  try {
    v = JSON.parse(text.trim());
  } catch {
    return { error: 'not a JSON object' };
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    return { error: 'not a JSON object' };
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  const extra = keys.find((k) => k !== 'answer' && k !== 'next_state' && k !== 'done');
  if (extra !== undefined) return { error: `unexpected key '${extra}'` };
  if (!('answer' in o)) return { error: "no 'answer'" };
  if (!('next_state' in o)) return { error: "no 'next_state'" };
  if (o.done !== undefined && typeof o.done !== 'boolean')
    return { error: "'done' must be true or false" };
  const done = o.done === true;
  return {
    answer: canonicalJson({ answer: o.answer, next_state: o.next_state, done }),
    nextState: { value: o.next_state, done },
  };
}
