// `npm start`: build, then open the sample workspace with the extension loaded
// from this folder. Desktop VS Code when `code` is on PATH
// (--extensionDevelopmentPath); else VS Code's workbench from code-server on
// 127.0.0.1 (a free port; the URL is printed), running until Ctrl-C, which
// stops the server and everything it started.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ensureNodeModules, hasBinary, root, run } from './lib/ensure.mjs';
import { codeServerArgs, ensureCodeServer } from './lib/codeServer.mjs';

const samples = join(root, 'samples');
ensureNodeModules();
run(process.execPath, [join(root, 'scripts', 'build.mjs')]);

if (hasBinary('code') && process.env.FORKSCOPE_START !== 'web') {
  console.log('forkscope: opening the samples in VS Code with the extension from this folder…');
  run('code', ['--new-window', `--extensionDevelopmentPath=${root}`, samples]);
} else {
  ensureCodeServer();
  const port = await new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
  const host = `127.0.0.1:${port}`;
  const data = join(root, '.cache', 'start');
  mkdirSync(join(data, 'user-data'), { recursive: true });
  const server = spawn(
    process.execPath,
    codeServerArgs({ host, userDataDir: join(data, 'user-data'), extensionsDir: join(data, 'extensions'), folder: samples, trust: true }),
    { stdio: ['ignore', 'ignore', 'inherit'], detached: true },
  );
  const payload = encodeURIComponent(JSON.stringify([['extensionDevelopmentPath', `vscode-remote://${host}${root}`]]));
  const url = `http://${host}/?folder=${encodeURIComponent(samples)}&payload=${payload}`;
  console.log(
    `\nForkscope in VS Code (code-server ${server.pid}), with the extension from ${root}:\n\n  ${url}\n\nOpen it in a browser on this machine. Ctrl-C stops the server.\n`,
  );
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {
      /* gone */
    }
    setTimeout(() => {
      try {
        process.kill(-server.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      process.exit(0);
    }, 2000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  server.on('exit', (code) => {
    if (!stopping) console.log(`code-server exited (${code})`);
    process.exit(code ?? 0);
  });
}
