/**
 * Where a mission goes on from, given what its log says: the stages done (and approved where the
 * stage asks for approval), the attempt the current stage is at, and an approval that was asked
 * (answered or not, or not yet asked) for its last run. A stage that finished with an answer is
 * never run again: its output is in `stage.finished`; MAKER progress comes from the last snapshot
 * and the votes after it.
 */
import type { RecoveredMission } from '../log/missionRecovery.js';
import type { MissionConfig } from '../config/mission.js';
import { NO_FEEDBACK, type MissionResume, type StageResult } from '../machines/mission.js';
import { gateWanted, missionStages } from '../machines/workflowStages.js';

export function planResume(r: RecoveredMission, config: MissionConfig): MissionResume {
  const stages: StageResult[] = [];
  for (const [i, sc] of missionStages(config).entries()) {
    const note = approvalNoteFor(r, i - 1);
    const last = r.stages.find((s) => s.index === i)?.finished.at(-1);
    // Never finished: run it. (A revision after a rejection comes from the pending approval below.)
    if (!last)
      return { stages, attempt: 1, maker: r.maker, plans: r.plans, answers: r.answers, ...note };
    // Run the stage again as the attempt it was, with the feedback that attempt was given.
    const rerun = (): MissionResume => {
      const before = r.approvals.find(
        (x) => x.index === i && x.attempt === last.attempt - 1,
      )?.answer;
      const feedback = before?.decision === 'reject' ? (before.feedback ?? NO_FEEDBACK) : undefined;
      return {
        stages,
        attempt: last.attempt,
        ...(feedback !== undefined && { feedback }),
        maker: r.maker,
        plans: r.plans,
        answers: r.answers,
        ...note,
      };
    };
    // Finished with no answer: the mission was failing (no_answer) when it stopped; try it again.
    if (last.answers === 0) return rerun();
    if (gateWanted(sc, last.output)) {
      const a = r.approvals.find((x) => x.index === i && x.attempt === last.attempt);
      // Finished, and the approval not asked yet (the crash came between the two writes): ask it
      // now, for the output the log has.
      if (!a) return { ...rerun(), unasked: { output: last.output } };
      if (a.answer?.decision !== 'approve')
        return {
          stages,
          attempt: last.attempt,
          pending: { approval: a, answers: last.answers },
          maker: r.maker,
          plans: r.plans,
          answers: r.answers,
          ...note,
        };
    }
    stages.push({ name: sc.name, output: last.output, answers: [] });
  }
  return { stages, attempt: 1, maker: r.maker, plans: r.plans, answers: r.answers };
}

/** What the reviewer wrote when approving stage `index` (its last approved attempt), for the next. */
function approvalNoteFor(r: RecoveredMission, index: number): { approvalNote?: string } {
  if (index < 0) return {};
  const approved = r.approvals.filter((a) => a.index === index && a.answer?.decision === 'approve');
  const feedback = approved.at(-1)?.answer?.feedback;
  return feedback === undefined ? {} : { approvalNote: feedback };
}
