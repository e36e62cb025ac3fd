/** Every gate by step name: the order of a release is truth.yaml's `release.steps`, not this one's. */
import type { StepName } from '../model.js';
import { deployGate } from './deploy.js';
import type { Gate } from './gate.js';
import { smokeGate } from './smoke.js';
import { tagGate } from './tag.js';
import { testGate } from './test.js';
import { verifyGate } from './verify.js';
import { watchGate } from './watch.js';

export const GATES: Record<StepName, Gate> = {
  verify: verifyGate,
  test: testGate,
  smoke: smokeGate,
  deploy: deployGate,
  watch: watchGate,
  tag: tagGate,
};
