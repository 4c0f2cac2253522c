/**
 * Runs bench/lib/load.ts in its own process so the measured latencies do not include the
 * bot's event loop (engine, SSH) working in the same process. Protocol over IPC:
 * parent → `{type:'start', options}`, `{type:'finish'}`; child → `{type:'started'}`, `{type:'results', results}`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { startLoad, type LoadOptions, type LoadRun, type StreamResult } from './load.js';

type ToChild = { type: 'start'; options: LoadOptions } | { type: 'finish' };
type FromChild = { type: 'started' } | { type: 'results'; results: StreamResult[] };

export interface RemoteLoad {
  finish(): Promise<StreamResult[]>;
}

function next(child: ChildProcess): Promise<FromChild> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`load process exited (${code}) early`));
    child.once('exit', onExit);
    child.once('message', (message) => { child.off('exit', onExit); resolve(message as FromChild); });
  });
}

/** Forks the load process and starts the streams; `finish()` collects the results and ends it. */
export async function startRemoteLoad(options: LoadOptions): Promise<RemoteLoad> {
  const child = fork(new URL(import.meta.url), ['--child'], { execArgv: ['--import', 'tsx'] });
  child.send({ type: 'start', options } satisfies ToChild);
  await next(child);
  return {
    async finish() {
      const answer = next(child);
      child.send({ type: 'finish' } satisfies ToChild);
      const message = await answer;
      child.disconnect();
      if (message.type !== 'results') throw new Error('load process answered out of order');
      return message.results;
    },
  };
}

if (process.argv.includes('--child') && process.send) {
  let run: LoadRun | undefined;
  process.on('message', (message: ToChild) => {
    if (message.type === 'start') {
      run = startLoad(message.options);
      process.send?.({ type: 'started' } satisfies FromChild);
    } else if (run) {
      void run.finish().then((results) => process.send?.({ type: 'results', results } satisfies FromChild));
    }
  });
  process.on('disconnect', () => process.exit(0));
}
