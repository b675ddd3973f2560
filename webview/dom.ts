/**
 * Tiny DOM helpers. Everything that comes from the script (names, targets,
 * reprs, paths) goes in through `textContent` only: never as markup.
 */

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Sets text only when it changed (keeps live updates cheap). */
export function setText(e: HTMLElement, text: string): void {
  if (e.textContent !== text) e.textContent = text;
}

export function setClass(e: HTMLElement, className: string): void {
  if (e.className !== className) e.className = className;
}

export function setAttr(e: Element, name: string, value: string | null): void {
  if (value === null) {
    if (e.hasAttribute(name)) e.removeAttribute(name);
  } else if (e.getAttribute(name) !== value) e.setAttribute(name, value);
}

/** Reads a CSS custom property from the document (theme colours for canvases). */
export function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

/** A click on an element carrying `data-pid` inside `root` (a table cell naming a process) selects that process. */
export function selectOnPidClick(root: HTMLElement, select: (pid: number) => void): void {
  root.addEventListener('click', (e) => {
    const cell = (e.target as HTMLElement).closest<HTMLElement>('[data-pid]');
    if (cell) select(Number(cell.dataset.pid));
  });
}
