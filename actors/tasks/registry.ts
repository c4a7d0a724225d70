/** The step tasks a mission file can name (`task: { kind: hanoi | json, ... }`). */
import type { StepTaskConfig } from '../../config/maker.js';
import { hanoiTask } from './hanoi.js';
import { createJsonTask } from './jsonTask.js';
import type { StepTask } from './stepTask.js';

export function stepTaskFor(config: StepTaskConfig): StepTask<unknown, StepTaskConfig> {
  switch (config.kind) {
    case 'hanoi':
      return hanoiTask as unknown as StepTask<unknown, StepTaskConfig>;
    case 'json':
      return createJsonTask(config) as unknown as StepTask<unknown, StepTaskConfig>;
  }
}
