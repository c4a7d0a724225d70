/** The step tasks a mission file can name (`task: { kind: hanoi, ... }`). */
import type { StepTaskConfig } from '../../config/maker.js';
import { hanoiTask } from './hanoi.js';
import type { StepTask } from './stepTask.js';

const tasks: Record<StepTaskConfig['kind'], StepTask<unknown, StepTaskConfig>> = {
  hanoi: hanoiTask as unknown as StepTask<unknown, StepTaskConfig>,
};

export function stepTaskFor(config: StepTaskConfig): StepTask<unknown, StepTaskConfig> {
  return tasks[config.kind];
}
