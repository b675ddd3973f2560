/**
 * The Output tab: what the selected process's own Python wrote to
 * sys.stdout / sys.stderr (the runtime's `out` events), line by line with the
 * time each was written. Text only (textContent): never markup.
 */

import type { RunModel } from '../core/model/types';
import { el } from './dom';
import { formatSeconds } from '../core/format';

/** Lines shown at most (the newest are kept when there are more). */
const MAX_LINES = 5000;

export class OutputView {
  readonly root: HTMLElement;
  private lastKey = '';

  constructor() {
    this.root = el('div', 'fs-output');
    this.root.id = 'fs-output';
  }

  update(model: RunModel, selected: number | null): void {
    const p = selected !== null ? model.byPid.get(selected) : undefined;
    const o = p?.output;
    const key = `${selected}|${o?.chars ?? -1}|${o?.chunks.length ?? -1}|${o?.capped}`;
    if (key === this.lastKey) return;
    this.lastKey = key;
    if (!p) {
      this.root.replaceChildren(el('p', 'fs-empty', 'Select a process to see what it printed.'));
      return;
    }
    const head = el(
      'p',
      'fs-output-head',
      `${p.name} (pid ${p.pid}): its own writes to sys.stdout and sys.stderr. Writes made directly to the file descriptors (C code, other programs) are not attributed.`,
    );
    if (!o || !o.chunks.length) {
      this.root.replaceChildren(head, el('p', 'fs-empty', 'This process wrote nothing to sys.stdout or sys.stderr.'));
      return;
    }
    const rows: { t: number; stream: string; text: string }[] = [];
    for (const c of o.chunks) {
      const parts = c.text.split('\n');
      if (parts[parts.length - 1] === '') parts.pop();
      for (const line of parts) rows.push({ t: c.t, stream: c.stream, text: line });
    }
    const shown = rows.length > MAX_LINES ? rows.slice(rows.length - MAX_LINES) : rows;
    const table = el('table', 'fs-output-lines');
    const body = el('tbody');
    for (const r of shown) {
      const tr = el('tr', r.stream === 'stderr' ? 'fs-stderr' : 'fs-stdout');
      tr.append(
        el('td', 'fs-output-time', formatSeconds(r.t)),
        el('td', 'fs-output-stream', r.stream === 'stderr' ? 'err' : 'out'),
        el('td', 'fs-output-text', r.text),
      );
      body.append(tr);
    }
    table.append(body);
    const notes: HTMLElement[] = [];
    if (rows.length > shown.length) notes.push(el('p', 'fs-note', `Showing the last ${shown.length} of ${rows.length} lines.`));
    if (o.capped)
      notes.push(el('p', 'fs-note', "Capped: only the first 1 MiB of this process's output was recorded (the terminal got all of it)."));
    this.root.replaceChildren(head, ...notes, table);
  }
}
