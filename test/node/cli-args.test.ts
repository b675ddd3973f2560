import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultOut, HelpRequested, parseRecordArgs, scriptEnv, UsageError } from '../../extension/runtime/recordArgs';

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
  for (const argv of [
    ['--', '-m', 'pkg.tool', 'a', '-b'],
    ['-m', 'pkg.tool', 'a', '-b'],
  ]) {
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
  assert.deepEqual(scriptEnv({ PATH: '/bin', FORKSCOPE_SCRIPT_ENV: '{"NODE_EXTRA_CA_CERTS":"/x.pem","N":3}' }, true), {
    PATH: '/bin',
    NODE_EXTRA_CA_CERTS: '/x.pem',
  });
  assert.deepEqual(scriptEnv({ PATH: '/bin', FORKSCOPE_SCRIPT_ENV: 'not json' }, false), { PATH: '/bin' });
  assert.deepEqual(scriptEnv({ FORKSCOPE_SCRIPT_ENV: '["a"]' }, false), {});
});

test('record -- PYTHON [options] SCRIPT|-m MODULE: the interpreter, its safe options kept, unsafe ones refused', () => {
  let a = parseRecordArgs(['--', 'python3', '-X', 'dev', '-uB', '-Wignore', 'job.py', '-X', 'z']);
  assert.equal(a.python, 'python3');
  assert.equal(a.pythonAfterDashes, true);
  assert.deepEqual(a.pythonArgs, ['-X', 'dev', '-u', '-B', '-W', 'ignore']);
  assert.equal(a.script, 'job.py');
  assert.deepEqual(a.args, ['-X', 'z'], 'after the script, the script’s own');
  a = parseRecordArgs(['--', '/opt/py/bin/python3.12', '-O', '-m', 'pkg.tool', '-v']);
  assert.equal(a.python, '/opt/py/bin/python3.12');
  assert.deepEqual(a.pythonArgs, ['-O']);
  assert.equal(a.module, 'pkg.tool');
  assert.deepEqual(a.args, ['-v']);
  a = parseRecordArgs(['--', 'python3', '-mpkg']);
  assert.equal(a.module, 'pkg');
  a = parseRecordArgs(['--', 'python_helpers.py', 'x']);
  assert.equal(a.script, 'python_helpers.py', 'a .py file is the script');
  assert.equal(a.python, null);
  assert.throws(() => parseRecordArgs(['--', 'python3', '-c', 'print(1)']), /-c cannot be recorded/);
  assert.throws(() => parseRecordArgs(['--', 'python3', '-I', 'a.py']), /-I/);
  assert.throws(() => parseRecordArgs(['--', 'python3', '-', 'a.py']), /stdin/);
  assert.throws(() => parseRecordArgs(['--', 'python3']), /Name the script/);
  assert.throws(() => parseRecordArgs(['--python', 'python3', '--', 'python3', 'a.py']), /named twice/);
  assert.throws(() => parseRecordArgs(['--', '/bin/ls', 'a.py']), /is a program, not Python/);
});

test('record --help / -h before the script asks for help; after it, the flag is the script’s', () => {
  assert.throws(() => parseRecordArgs(['--help']), HelpRequested);
  assert.throws(() => parseRecordArgs(['-q', '-h', 'a.py']), HelpRequested);
  assert.deepEqual(parseRecordArgs(['--', 'a.py', '--help']).args, ['--help']);
});
