/**
 * What the differential test compares, from a trace: the ordered lifecycle (starts, stops, failed
 * starts, call answers), the ordered reports, and the fate. Reports are a sequence of their own:
 * OTP writes one as it decides, Maestro when the decision's effects are applied, so a report and
 * the start it decides can swap places in one combined list without anything having differed.
 * OTP stops simple_one_for_one children all at once, in no set order: such a run of stops is
 * compared as a set.
 */
import type { DiffScenario, DiffSupervisor } from './scenarios.js';

export interface TraceShape {
  lifecycle: string[];
  reports: string[];
  fate: string | undefined;
}

function dynamicSupervisors(sup: DiffSupervisor, path: string, out: Set<string>): Set<string> {
  if (sup.flags.strategy === 'simple_one_for_one') out.add(path);
  for (const c of sup.children) if (c.sup) dynamicSupervisors(c.sup, `${path}/${c.id}`, out);
  return out;
}

export function traceShape(s: DiffScenario, lines: readonly string[]): TraceShape {
  const dynamic = dynamicSupervisors(s.sup, 'root', new Set());
  const isDynamicStop = (l: string) =>
    l.startsWith('stop ') && dynamic.has(l.slice(5, l.lastIndexOf('/')));
  const lifecycle: string[] = [];
  let run: string[] = [];
  const flush = () => {
    lifecycle.push(...run.sort());
    run = [];
  };
  for (const l of lines) {
    if (l.startsWith('report ') || l.startsWith('fate ')) continue;
    if (isDynamicStop(l)) run.push(l);
    else {
      flush();
      lifecycle.push(l);
    }
  }
  flush();
  return {
    lifecycle,
    reports: lines.filter((l) => l.startsWith('report ')),
    fate: lines.find((l) => l.startsWith('fate '))?.slice(5),
  };
}
