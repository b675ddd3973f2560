/**
 * `forkscope record`'s arguments (docs/cli.md): parsed, checked, and turned
 * into the run's options with the interpreter resolved (planRecord). Small on
 * purpose: dist/cli.js loads only this, pythonResolve, eventServer and launch
 * before it starts the script (launch.ts, startEarly); the rest of the CLI
 * loads while Python starts.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_HANG_SECONDS } from '../../core/insights/shared';
import { RECORDING_EXTENSION } from '../../core/model/recording';
import { fileKind, findCommand, looksLikePythonName, shebangIsPython } from './pythonResolve';

/** `VERB --help` (or `-h`) was asked for: the verb's usage on stdout, exit 0. */
export class HelpRequested extends Error {
  constructor(readonly verb: string) {
    super(`help ${verb}`);
  }
}

/** Bad input that is not a usage mistake (a folder that does not exist, a missing script): one line, exit 2. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

export class UsageError extends Error {}

export interface RecordArgs {
  out: string | null;
  python: string | null;
  sampleMs: number;
  maxProcesses: number;
  hangSeconds: number;
  quiet: boolean;
  ipc: boolean;
  flushMs: number | undefined;
  detailRate: number | undefined;
  script: string | null;
  module: string | null;
  args: string[];
  /** Interpreter options given after an interpreter named after `--` (`-- python3 -X dev script.py`). */
  pythonArgs: string[];
  /** The interpreter was named after `--` rather than with --python. */
  pythonAfterDashes: boolean;
}

function intOption(name: string, value: string | undefined, min: number): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < min) throw new UsageError(`${name} takes a whole number ≥ ${min}.`);
  return n;
}

function secondsOption(name: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new UsageError(`${name} takes a number of seconds ≥ 0 (0 turns it off).`);
  return n;
}

/** Parses `record`'s arguments (everything after the word `record`). `env`/`cwd` find an interpreter named after `--`. */
export function parseRecordArgs(argv: string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): RecordArgs {
  const a: RecordArgs = {
    out: null,
    python: null,
    sampleMs: 100,
    maxProcesses: 1000,
    hangSeconds: DEFAULT_HANG_SECONDS,
    quiet: false,
    ipc: false,
    flushMs: undefined,
    detailRate: undefined,
    script: null,
    module: null,
    args: [],
    pythonArgs: [],
    pythonAfterDashes: false,
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const [flag, inline] = arg.startsWith('--') && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      i++;
      if (i >= argv.length) throw new UsageError(`${flag} needs a value.`);
      return argv[i];
    };
    if (flag === '--') {
      i++;
      break;
    } else if (flag === '--help' || flag === '-h') throw new HelpRequested('record');
    else if (flag === '--out' || flag === '-o') a.out = value();
    else if (flag === '--python') a.python = value();
    else if (flag === '--sample-ms') a.sampleMs = intOption('--sample-ms', value(), 10);
    else if (flag === '--max-processes') a.maxProcesses = intOption('--max-processes', value(), 1);
    else if (flag === '--hang-seconds') a.hangSeconds = secondsOption('--hang-seconds', value());
    else if (flag === '--flush-ms') a.flushMs = intOption('--flush-ms', value(), 1);
    else if (flag === '--detail-rate') a.detailRate = intOption('--detail-rate', value(), 0);
    else if (flag === '--quiet' || flag === '-q') a.quiet = true;
    else if (flag === '--ipc') a.ipc = true;
    else if (flag === '-m') break;
    else if (flag.startsWith('-')) throw new UsageError(`Unknown option ${flag}.`);
    else break;
  }
  let rest = argv.slice(i);
  if (rest.length && rest[0] !== '-m' && isInterpreterWord(rest[0], env, cwd)) {
    if (a.python !== null)
      throw new UsageError(`The interpreter is named twice (--python ${a.python} and ${rest[0]} after --): name it once.`);
    a.python = rest[0];
    a.pythonAfterDashes = true;
    const parsed = parsePythonOptions(rest.slice(1));
    a.pythonArgs = parsed.options;
    rest = parsed.rest;
    if (!rest.length) throw new UsageError(`Name the script to run after ${a.python}: forkscope record -- ${a.python} SCRIPT.py [ARGS…]`);
  }
  if (rest[0] === '-m') {
    if (!rest[1]) throw new UsageError('-m needs a module name.');
    a.module = rest[1];
    a.args = rest.slice(2);
  } else if (rest.length) {
    a.script = rest[0];
    a.args = rest.slice(1);
  } else {
    throw new UsageError('Name the script to run: forkscope record -- SCRIPT.py [ARGS…]');
  }
  return a;
}

/** Python's own options that are safe to keep for the interpreter (they change nothing Forkscope relies on). */
const SAFE_PYTHON_FLAGS = new Set(['u', 'O', 'B', 'b', 'E', 's', 'S', 'q', 'R']);
/** Python's options that are refused, and why. */
const REFUSED_PYTHON_FLAGS: Record<string, string> = {
  c: 'a program given with -c cannot be recorded: put it in a file, or use -m MODULE',
  i: '-i (interactive after the script) is not supported',
  I: '-I (isolated mode) keeps Forkscope’s runtime off sys.path',
  P: '-P keeps Forkscope’s runtime off sys.path',
  v: '-v would print Forkscope’s own imports among the script’s output',
  x: '-x (skip the first line) is not supported',
  d: '-d (parser debugging) is not supported',
  h: 'that prints Python’s help: there is nothing to record',
  V: 'that prints Python’s version: there is nothing to record',
  '?': 'that prints Python’s help: there is nothing to record',
};

/** Splits `[PYTHON-OPTIONS] (SCRIPT | -m MODULE) [ARGS…]` after an interpreter named after `--`. */
export function parsePythonOptions(words: string[]): { options: string[]; rest: string[] } {
  const options: string[] = [];
  let i = 0;
  for (; i < words.length; i++) {
    const w = words[i];
    if (w === '--') return { options, rest: words.slice(i + 1) };
    if (w === '-') throw new UsageError('A script read from stdin (-) cannot be recorded: name a script file.');
    if (!w.startsWith('-')) break;
    if (w.startsWith('--')) {
      if (w === '--check-hash-based-pycs') {
        const v = words[++i];
        if (v === undefined) throw new UsageError('--check-hash-based-pycs needs a value.');
        options.push(w, v);
        continue;
      }
      if (w === '--help' || w === '--version' || w === '--help-all' || w.startsWith('--help-'))
        throw new UsageError(`python ${w}: that prints Python’s own text: there is nothing to record.`);
      throw new UsageError(`Python option ${w} is not supported under forkscope record.`);
    }
    for (let k = 1; k < w.length; k++) {
      const c = w[k];
      if (c === 'm') {
        const mod = k + 1 < w.length ? w.slice(k + 1) : words[i + 1];
        if (mod === undefined) throw new UsageError('-m needs a module name.');
        return { options, rest: ['-m', mod, ...words.slice(k + 1 < w.length ? i + 1 : i + 2)] };
      }
      if (c === 'X' || c === 'W') {
        const v = k + 1 < w.length ? w.slice(k + 1) : words[++i];
        if (v === undefined) throw new UsageError(`Python option -${c} needs a value.`);
        options.push(`-${c}`, v);
        break;
      }
      if (SAFE_PYTHON_FLAGS.has(c)) options.push(`-${c}`);
      else if (REFUSED_PYTHON_FLAGS[c]) throw new UsageError(`Python option -${c}: ${REFUSED_PYTHON_FLAGS[c]}.`);
      else throw new UsageError(`Python option -${c} is not supported under forkscope record.`);
    }
  }
  return { options, rest: words.slice(i) };
}

/**
 * Whether the first word after `--` is an interpreter (`-- python3 script.py`) rather than the script
 * (`-- script.py`): a name like python* (not a .py file), or an executable that is Python (a binary with
 * Python's entry point) or a wrapper script in front of it (a shell script that runs python). An executable
 * that is neither is refused; a file with a Python `#!` line, or no `#!` line, is the script.
 */
export function isInterpreterWord(word: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): boolean {
  if (/\.(py|pyw|pyz|pyc)$/i.test(word)) return false;
  const local = path.resolve(cwd, word);
  let file: string | null = null;
  try {
    if (fs.statSync(local).isFile()) file = local;
    else return false; // a folder (a package with __main__.py) is a script
  } catch {
    /* not here */
  }
  if (looksLikePythonName(word)) return true;
  if (!file && !word.includes('/')) file = findCommand(word, env, cwd);
  if (!file) return false; // a missing script: said so before the run
  let executable = true;
  try {
    fs.accessSync(file, fs.constants.X_OK);
  } catch {
    executable = false;
  }
  if (!executable) return false;
  const k = fileKind(file);
  if (k.kind === 'binary') {
    if (binaryIsPython(file)) return true;
    throw new UsageError(`${word} is a program, not Python: forkscope records Python scripts (forkscope record -- [PYTHON] SCRIPT.py).`);
  }
  if (k.kind === 'script' && k.shebang !== null && !shebangIsPython(k.shebang)) {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8').slice(0, 64 * 1024);
    } catch {
      /* unreadable: not a wrapper we can tell */
    }
    if (/python|pypy/i.test(text)) return true; // a wrapper in front of Python (`exec python3 "$@"`)
    throw new UsageError(`${word} is a script for ${k.shebang}, not Python: forkscope records Python scripts.`);
  }
  return false;
}

/** Whether a binary carries CPython's (or PyPy's) entry point. */
function binaryIsPython(file: string): boolean {
  try {
    const st = fs.statSync(file);
    if (st.size > 256 * 1024 * 1024) return false;
    const buf = fs.readFileSync(file);
    return buf.includes('Py_BytesMain') || buf.includes('Py_Main') || buf.includes('pypy_main');
  } catch {
    return false;
  }
}

/** The recording's default name: the script's (or module's) name in the current folder. */
export function defaultOut(a: Pick<RecordArgs, 'script' | 'module'>, cwd: string): string {
  const base = a.module !== null ? a.module.replace(/[^\w.-]/g, '_') : path.basename(a.script ?? 'run').replace(/\.pyw?$/, '');
  return path.join(cwd, base + RECORDING_EXTENSION);
}

/**
 * The script's environment, when it is not this process's own: forked by desktop VS Code, this process runs as Node
 * through ELECTRON_RUN_AS_NODE, which the script must not inherit; and the extension and the `forkscope` launcher
 * (dist/cli.js's shell lines, scripts/build.mjs) hand over in FORKSCOPE_SCRIPT_ENV (a JSON object) variables meant
 * for the script only, which they kept from this process (NODE_EXTRA_CA_CERTS: Node reads that certificate file at
 * every start, 30-60 ms, and the supervisor needs no TLS).
 */
export function scriptEnv(env: NodeJS.ProcessEnv, ipc: boolean): NodeJS.ProcessEnv | undefined {
  const handed = env.FORKSCOPE_SCRIPT_ENV;
  const electron = ipc && env.ELECTRON_RUN_AS_NODE !== undefined;
  if (handed === undefined && !electron) return undefined;
  const out: NodeJS.ProcessEnv = { ...env };
  delete out.FORKSCOPE_SCRIPT_ENV;
  if (electron) delete out.ELECTRON_RUN_AS_NODE;
  if (handed !== undefined) {
    try {
      const vars = JSON.parse(handed) as unknown;
      if (vars && typeof vars === 'object' && !Array.isArray(vars)) {
        for (const [k, v] of Object.entries(vars as Record<string, unknown>)) if (typeof v === 'string') out[k] = v;
      }
    } catch {
      /* not from the extension: ignored, as a malformed variable would be */
    }
  }
  return out;
}

/** The interpreter to use when none is named: python3 on PATH, else python. */
export function defaultPython(env: NodeJS.ProcessEnv = process.env): string {
  const dirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const name of ['python3', 'python']) {
    for (const d of dirs) {
      try {
        fs.accessSync(path.join(d, name), fs.constants.X_OK);
        return name;
      } catch {
        /* next */
      }
    }
  }
  return 'python3';
}

/** Refuses an output path that cannot be written, with one line saying why (before anything runs). */
export function checkOutput(out: string, what = 'the recording'): void {
  const dir = path.dirname(out);
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new CliError(`Cannot write ${what} to ${out}: the folder ${dir} does not exist.`);
  }
  if (!st.isDirectory()) throw new CliError(`Cannot write ${what} to ${out}: ${dir} is not a folder.`);
  try {
    if (fs.statSync(out).isDirectory()) throw new CliError(`Cannot write ${what} to ${out}: it is a folder (name a file).`);
  } catch (e) {
    if (e instanceof CliError) throw e;
  }
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new CliError(`Cannot write ${what} to ${out}: the folder ${dir} is not writable.`);
  }
}
