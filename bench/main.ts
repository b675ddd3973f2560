/** In-process parts of `npm run bench` (bundled to out/bench/main.js): ingest, sampler, run start. */

import { measureIngest } from './ingest';
import { measureSampler } from './sampler';
import { measureRunStart } from './runStart';

async function main(): Promise<void> {
  const what = process.argv[2];
  const result =
    what === 'ingest'
      ? await measureIngest()
      : what === 'sampler'
        ? await measureSampler()
        : what === 'run-start'
          ? await measureRunStart(process.argv[3], process.argv[4])
          : null;
  if (!result) throw new Error('usage: main.js ingest|sampler|run-start CLI PYTHON');
  process.stdout.write(JSON.stringify(result) + '\n');
}

void main();
