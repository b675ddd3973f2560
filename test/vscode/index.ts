/**
 * Entry of the real-VS-Code suite (`--extensionTestsPath`): runs the mocha
 * tests in this folder inside VS Code's extension host, and writes the counts
 * to FORKSCOPE_TEST_RESULTS for `npm test`'s summary.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
// mocha 10 is CommonJS; it stays external to the bundle.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the TypeScript form of a CommonJS import
import Mocha = require('mocha');

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', timeout: 60_000, color: false, reporter: 'spec' });
  const grep = process.env.FORKSCOPE_TEST_GREP;
  if (grep) mocha.grep(new RegExp(grep));
  // The untrusted-workspace suite runs alone, in a workbench opened with workspace trust on.
  const untrusted = process.env.FORKSCOPE_TEST_UNTRUSTED === '1';
  // startup.test.js first: it looks at what the workbench opened at start, before other tests close editors;
  // reliability.test.js last: it ends with the extension deactivated (its commands and views gone).
  const first = (f: string) => (f === 'startup.test.js' ? 0 : f === 'reliability.test.js' ? 2 : 1);
  for (const f of fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .sort((a, b) => first(a) - first(b) || a.localeCompare(b))) {
    if ((f === 'untrusted.test.js') === untrusted) mocha.addFile(path.join(__dirname, f));
  }
  const counts = { passed: 0, failed: 0, skipped: 0 };
  const failures = await new Promise<number>((resolve) => {
    const runner = mocha.run((n) => resolve(n));
    runner.on('pass', () => counts.passed++);
    runner.on('fail', () => counts.failed++);
    runner.on('pending', () => counts.skipped++);
  });
  const out = process.env.FORKSCOPE_TEST_RESULTS;
  if (out) fs.writeFileSync(out, JSON.stringify(counts));
  console.log(`forkscope vscode suite: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
  if (failures > 0) throw new Error(`${failures} test(s) failed`);
}
