// Completes the package lifecycle like the real postinstall: until it runs, the CLI refuses to start.
import { rmSync } from 'node:fs';

rmSync(new URL('../.openclaw-lifecycle-pending', import.meta.url), { force: true });
