/**
 * The reduced chaos matrix (issue 11, D7), part of `npm test`: a worker killed in the middle of a
 * slowed install and of a pm2 reload, killed just after blue-green moved traffic, Redis down 10 s
 * mid-step, the host's network cut 15 s. `npm run test:chaos` runs the full matrix.
 */
import { matrixSuite } from './suite.js';
import { reducedCells } from './matrix.js';

matrixSuite(reducedCells(), { pm2: 1, 'blue-green': 1 });
