/**
 * The full chaos matrix (issue 11, D7), `npm run test:chaos`: for pm2 (two hosts, one batch after
 * the other) and blue-green, a worker SIGKILL in the middle and right after every step of the plan
 * the engine builds (and, for a step that must not repeat, the moment its command ended on the
 * host), then the slowed kills, Redis, SSH and network faults (test/chaos/matrix.ts).
 */
import { boundaryCells, faultCells, type Strategy } from './matrix.js';
import { planSteps } from './runner.js';
import { matrixSuite } from './suite.js';

const HOSTS: Record<Strategy, number> = { pm2: 2, 'blue-green': 1 };
const cells = [];
for (const strategy of ['pm2', 'blue-green'] as const) {
  cells.push(...faultCells(strategy), ...boundaryCells(strategy, await planSteps(strategy, HOSTS[strategy])));
}
matrixSuite(process.env.CLAWOPS_CHAOS_ONLY ? cells.filter((cell) => cell.id.includes(process.env.CLAWOPS_CHAOS_ONLY ?? '')) : cells, HOSTS);
