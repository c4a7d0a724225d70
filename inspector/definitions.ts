/**
 * What the hub knows about an actor's logic: whether it is a state machine, its name and kind,
 * and for a machine a `StateDef` to draw. XState tags no logic with its kind: a machine is
 * recognised by its `root` state node, and the other creators by the order of their own keys,
 * as xstate 5.33.3 builds them (`test/inspector/definitions.test.ts` pins this, so an upgrade
 * that changes it fails a test rather than mislabelling nodes). Each logic object is looked at
 * once; the results are cached in a WeakMap.
 */
import type { NodeKind, StateDef } from './types.js';

/** The parts of an xstate `StateNode` the converter reads (`StateNode.d.ts` in 5.33.3). */
interface StateNodeLike {
  key: string;
  path: string[];
  type: StateDef['type'];
  states: Record<string, StateNodeLike>;
  transitions: Map<string, { target?: readonly StateNodeLike[] }[]>;
  always?: { target?: readonly StateNodeLike[] }[];
  initial?: { target: readonly StateNodeLike[] };
  /** An inline logic's `src` is `xstate.invoke.<id>`; an automatic id is `<index>.<state id>`. */
  invoke?: readonly { id: string; src: string | object }[];
}

interface MachineLike {
  id: string;
  root: StateNodeLike;
}

export interface LogicInfo {
  /** The machine's id, or `promise`, `callback`, `observable`, `transition`, `actor`. */
  name: string;
  kind: Exclude<NodeKind, 'remote'>;
  machine?: MachineLike;
}

const infos = new WeakMap<object, LogicInfo>();
const UNKNOWN: LogicInfo = { name: 'actor', kind: 'worker' };

export function isStateMachine(logic: unknown): logic is MachineLike {
  if (!logic || typeof logic !== 'object') return false;
  const m = logic as Partial<MachineLike>;
  return (
    typeof m.id === 'string' &&
    !!m.root &&
    typeof m.root === 'object' &&
    m.root.transitions instanceof Map
  );
}

export function logicInfo(logic: unknown): LogicInfo {
  if (!logic || typeof logic !== 'object') return UNKNOWN;
  let info = infos.get(logic);
  if (!info) {
    info = classify(logic);
    infos.set(logic, info);
  }
  return info;
}

function classify(logic: object): LogicInfo {
  if (isStateMachine(logic)) {
    const kind =
      logic.id === 'mission' ? 'mission' : logic.id === 'supervisor' ? 'supervisor' : 'machine';
    return { name: logic.id, kind, machine: logic };
  }
  const keys = Object.keys(logic);
  if (keys[0] !== 'config') return UNKNOWN;
  const name = !keys.includes('start')
    ? 'transition'
    : keys[1] === 'start'
      ? 'callback'
      : keys[2] === 'start'
        ? 'promise'
        : keys[2] === 'getInitialSnapshot'
          ? 'observable'
          : 'actor';
  return { name, kind: 'worker' };
}

/**
 * A JSON outline of a machine: nested states, their types and initial states, each event's
 * targets (`always` for eventless transitions; a delayed one keeps XState's event type,
 * `xstate.after.<delay>.<state id>`), and the actors each state invokes.
 */
export function stateDefOf(machine: MachineLike): StateDef {
  return convert(machine.root);
}

function srcName({ id, src }: { id: string; src: string | object }): string {
  if (typeof src === 'string' && !src.startsWith('xstate.invoke.')) return src;
  return /^\d+\./.test(id) ? 'inline' : id;
}

function convert(node: StateNodeLike): StateDef {
  const def: StateDef = { key: node.key };
  if (node.type) def.type = node.type;
  if (node.type === 'compound') {
    const first = node.initial?.target[0];
    if (first) def.initial = first.key;
  }
  const children = Object.values(node.states ?? {});
  if (children.length > 0) def.states = children.map(convert);
  const on: NonNullable<StateDef['on']> = [];
  for (const [event, transitions] of node.transitions)
    on.push({ event, targets: targetsOf(transitions) });
  if (node.always?.length) on.push({ event: 'always', targets: targetsOf(node.always) });
  if (on.length > 0) def.on = on;
  if (node.invoke?.length) def.invoke = node.invoke.map(srcName);
  return def;
}

/** Targets as paths from the root (`running`, `stage.sub`); a transition without one stays in place. */
function targetsOf(transitions: readonly { target?: readonly StateNodeLike[] }[]): string[] {
  const out = new Set<string>();
  for (const t of transitions)
    for (const s of t.target ?? []) out.add(s.path.length > 0 ? s.path.join('.') : s.key);
  return [...out];
}

/**
 * Definitions by key. The key is the machine's id; a different machine with the same id (two
 * anonymous machines are both `(machine)`) gets `<id>#2`, and so on. Machines that outline the
 * same (`machine.provide()` copies) share one key.
 */
export class DefinitionRegistry {
  readonly byKey = new Map<string, StateDef>();
  private readonly keys = new WeakMap<object, string>();
  private readonly json = new Map<string, string>();

  /** The machine's key, and its definition when this call is the first to see it. */
  keyOf(machine: MachineLike): { key: string; added?: StateDef } {
    const known = this.keys.get(machine);
    if (known !== undefined) return { key: known };
    const def = stateDefOf(machine);
    const text = JSON.stringify(def);
    for (let n = 1; ; n++) {
      const key = n === 1 ? machine.id : `${machine.id}#${n}`;
      const existing = this.json.get(key);
      if (existing === text) {
        this.keys.set(machine, key);
        return { key };
      }
      if (existing === undefined) {
        this.keys.set(machine, key);
        this.byKey.set(key, def);
        this.json.set(key, text);
        return { key, added: def };
      }
    }
  }
}
