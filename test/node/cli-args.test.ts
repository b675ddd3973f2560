import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultOut, parseRecordArgs, scriptEnv, UsageError } from '../../extension/runtime/cli';

test('record: options, then -- SCRIPT and its own arguments untouched', () => {
  const a = parseRecordArgs(['--out', 'x.forkscope', '--python=/usr/bin/python3', '--sample-ms', '50', '--', 'job.py', '--out', '-m', 'z']);
  assert.equal(a.out, 'x.forkscope');
  assert.equal(a.python, '/usr/bin/python3');
  assert.equal(a.sampleMs, 50);
  assert.equal(a.script, 'job.py');
  assert.equal(a.module, null);
  assert.deepEqual(a.args, ['--out', '-m', 'z']);
});

test('record: -m MODULE with arguments, with or without --', () => {
  for (const argv of [['--', '-m', 'pkg.tool', 'a', '-b'], ['-m', 'pkg.tool', 'a', '-b']]) {
    const a = parseRecordArgs(argv);
    assert.equal(a.module, 'pkg.tool');
    assert.equal(a.script, null);
    assert.deepEqual(a.args, ['a', '-b']);
  }
});

test('record: a script without -- stops option parsing at the script', () => {
  const a = parseRecordArgs(['--quiet', 'run.py', '--sample-ms', 'x']);
  assert.equal(a.quiet, true);
  assert.equal(a.script, 'run.py');
  assert.deepEqual(a.args, ['--sample-ms', 'x']);
});

test('record: bad input is a usage error with a clear word', () => {
  assert.throws(() => parseRecordArgs([]), UsageError);
  assert.throws(() => parseRecordArgs(['--sample-ms', 'fast', '--', 'a.py']), /--sample-ms takes a whole number/);
  assert.throws(() => parseRecordArgs(['--bogus', 'a.py']), /Unknown option --bogus/);
  assert.throws(() => parseRecordArgs(['--', '-m']), /-m needs a module name/);
});

test('the default recording is named after the script or module, in the current folder', () => {
  assert.equal(defaultOut({ script: 'some/dir/pool_demo.py', module: null }, '/work'), '/work/pool_demo.forkscope');
  assert.equal(defaultOut({ script: null, module: 'pkg.tool' }, '/work'), '/work/pkg.tool.forkscope');
});

test('scriptEnv: the supervisor’s own environment unless it must change; handed-over variables set, ELECTRON_RUN_AS_NODE dropped under --ipc', () => {
  assert.equal(scriptEnv({ PATH: '/bin' }, false), undefined);
  assert.equal(scriptEnv({ PATH: '/bin', ELECTRON_RUN_AS_NODE: '1' }, false), undefined, 'a terminal run keeps it (not forked by VS Code)');
  assert.deepEqual(scriptEnv({ PATH: '/bin', ELECTRON_RUN_AS_NODE: '1' }, true), { PATH: '/bin' });
  assert.deepEqual(scriptEnv({ PATH: '/bin', FORKSCOPE_SCRIPT_ENV: '{"NODE_EXTRA_CA_CERTS":"/x.pem","N":3}' }, true), { PATH: '/bin', NODE_EXTRA_CA_CERTS: '/x.pem' });
  assert.deepEqual(scriptEnv({ PATH: '/bin', FORKSCOPE_SCRIPT_ENV: 'not json' }, false), { PATH: '/bin' });
  assert.deepEqual(scriptEnv({ FORKSCOPE_SCRIPT_ENV: '["a"]' }, false), {});
});
