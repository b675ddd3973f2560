import { AttributedLines } from '../../../extension/vscode/outputLines';

/** The output channel's line maker as the tests use it: writers named `w PID`, the lines it emits kept. */
export function channel(fallback = 's.py', now: () => number = () => 0): { out: AttributedLines; lines: string[] } {
  const lines: string[] = [];
  const out = new AttributedLines(
    fallback,
    (l) => lines.push(l),
    (pid) => `w ${pid}`,
    500,
    now,
  );
  return { out, lines };
}
