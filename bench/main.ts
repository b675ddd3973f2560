/** In-process parts of `npm run bench` (bundled to out/bench/main.js): ingest and sampler. */

import { measureIngest } from './ingest';
import { measureSampler } from './sampler';

async function main(): Promise<void> {
  const what = process.argv[2];
  const result = what === 'ingest' ? await measureIngest() : what === 'sampler' ? await measureSampler() : null;
  if (!result) throw new Error('usage: main.js ingest|sampler');
  process.stdout.write(JSON.stringify(result) + '\n');
}

void main();
