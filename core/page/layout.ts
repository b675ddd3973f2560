/**
 * The inspector's layout for the width it gets. Beside the editor a VS Code
 * panel is often 500–700 px wide: below STACK_BELOW_PX the inspector stacks
 * (header, the timeline across the whole width, then the process tree, which
 * folds away, then the detail tabs) and the page scrolls; above it the tree
 * and the timeline sit side by side. Tables and labels wrap or shrink with an
 * ellipsis, and whatever is cut has its full text in a title.
 *
 * Kept apart from styles.ts (colours and the rest) so each can change alone;
 * these rules come after it and override it where they must.
 */

/** Below this width (CSS px) the inspector stacks its parts; the webview's tests check both sides of it. */
export const STACK_BELOW_PX = 900;

export const LAYOUT_CSS = `
:root {
  --c-zombie-short: var(--c-muted);
  --c-sleep: var(--c-muted);
}
.fs-sw-sleep { --sw: color-mix(in srgb, var(--c-sleep) 70%, transparent); }
.fs-sw-zombie-short { --sw: color-mix(in srgb, var(--c-zombie-short) 55%, transparent); }
.fs-legend .fs-sw-exited::before { height: 2px; vertical-align: 3px; --sw: var(--c-muted); }
.fs-badge.zombie.calm { background: var(--c-badge); color: var(--c-badge-fg); font-weight: normal; }
.fs-run-name { overflow-wrap: anywhere; min-width: 0; }
.fs-facts { min-width: 0; }
.fs-facts li { display: flex; min-width: 0; max-width: 100%; }
.fs-facts .k { flex: none; }
.fs-facts .v { min-width: 0; overflow: hidden; text-overflow: ellipsis; }
.fs-insight { flex-wrap: wrap; }
.fs-insight-message { flex-basis: 12em; overflow-wrap: anywhere; }
.fs-tree-toggle { display: none; }
.fs-row > .fs-name { flex: 0 1 auto; min-width: 5em; }
.fs-row > .fs-pid { flex: 0 2 auto; min-width: 3em; overflow: hidden; text-overflow: ellipsis; }
.fs-row > .fs-ppid { flex: 0 8 auto; min-width: 0; }
.fs-row > .fs-num { flex: 0 3 auto; min-width: 3em; overflow: hidden; text-overflow: ellipsis; }
.fs-row > .fs-badge { flex: 0 1 auto; min-width: 4.5em; }
.fs-row > .fs-flags, .fs-row > .fs-warn-badge { flex: 0 1 auto; min-width: 0; overflow: hidden; text-overflow: ellipsis; }
/* A row that does not fit its tree wraps onto a second line rather than cut what it says. */
.fs-row { flex-wrap: wrap; row-gap: 0; }
}
.fs-legend { min-width: 0; }
.fs-tablist { flex-wrap: wrap; }
.fs-tabs [role=tab] { white-space: nowrap; }
.fs-flows { grid-template-columns: repeat(auto-fit, minmax(min(340px, 100%), 1fr)); }
.fs-charts { grid-template-columns: repeat(auto-fit, minmax(min(320px, 100%), 1fr)); }
.fs-flows > *, .fs-charts > *, .fs-compare-workers > * { min-width: 0; }
.fs-channel h3, .fs-pool h3 { flex-wrap: wrap; }
.fs-channel h3 > *, .fs-pool h3 > * { min-width: 0; overflow-wrap: anywhere; }
table.fs-table { max-width: 100%; }
.fs-table th, .fs-table td { white-space: normal; }
.fs-table td { overflow-wrap: anywhere; }
.fs-table td:not(.n):not(.fs-bar-cell):not(:empty) { min-width: 5em; }
.fs-table th, .fs-table td { padding-right: 8px; }
.fs-table td.n { white-space: nowrap; overflow-wrap: normal; }
.fs-table .fs-bar { max-width: 100%; }
.fs-lock-label { flex-basis: min(160px, 35%); }
.fs-compare-workers { grid-template-columns: repeat(auto-fit, minmax(min(380px, 100%), 1fr)); }
/* Side by side on a middling width, the timeline gets the larger share (tree rows wrap). */
@media (max-width: 1299.98px) {
  .fs-tree-pane { width: 36%; }
}
@media (max-width: ${STACK_BELOW_PX - 0.02}px) {
  .fs-app:not(.fs-compare) { height: auto; min-height: 100vh; }
  .fs-main { flex: none; flex-direction: column; }
  .fs-right { display: contents; }
  .fs-timeline-pane { order: 1; flex: none; min-height: 0; }
  .fs-timeline { flex: none; height: clamp(160px, calc(var(--fs-lanes, 10) * 20px + 34px), 60vh); }
  .fs-tree-pane { order: 2; width: auto; min-width: 0; max-width: none; border-right: none; border-top: 1px solid var(--c-border); }
  .fs-tree-toggle { display: flex; align-items: center; gap: 6px; width: 100%; margin: 0; padding: 4px 8px; background: none; border: none; text-align: left; font-weight: 600; cursor: pointer; }
  .fs-tree-toggle .fs-twisty { font-size: 0.9em; }
  .fs-tree-pane.fs-collapsed .fs-filter, .fs-tree-pane.fs-collapsed .fs-tree { display: none; }
  .fs-tree { flex: none; max-height: 45vh; }
  .fs-tabs { order: 3; flex: none; min-height: 0; }
  .fs-panels { flex: none; overflow: visible; }
  .fs-charts { grid-template-columns: minmax(0, 1fr); height: auto; }
  .fs-chart { height: 220px; }
  .fs-legend { margin-left: 0; flex-basis: 100%; gap: 2px 10px; }
}
`;
