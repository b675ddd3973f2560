/**
 * The inspector's stylesheet, inlined by the page shell under the CSP nonce.
 * Colours come from VS Code's `--vscode-*` theme variables; the `--fs-*`
 * fallbacks serve the standalone report in light and dark.
 */

export const INSPECTOR_CSS = `
:root {
  --fs-bg: #ffffff; --fs-fg: #1f2328; --fs-muted: #59636e; --fs-border: #d1d9e0; --fs-panel: #f6f8fa;
  --fs-accent: #0969da; --fs-sel: #ddf4ff; --fs-sel-fg: #1f2328; --fs-focus: #0969da; --fs-input: #ffffff;
  --fs-green: #1a7f37; --fs-blue: #0969da; --fs-yellow: #bf8700; --fs-orange: #bc4c00; --fs-red: #cf222e; --fs-purple: #8250df;
  --fs-badge-bg: #eaeef2; --fs-tooltip: #ffffff; --fs-grey: #818b98;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --fs-bg: #0d1117; --fs-fg: #e6edf3; --fs-muted: #9198a1; --fs-border: #3d444d; --fs-panel: #151b23;
    --fs-accent: #4493f8; --fs-sel: #1f3a5f; --fs-sel-fg: #e6edf3; --fs-focus: #4493f8; --fs-input: #0d1117;
    --fs-green: #3fb950; --fs-blue: #4493f8; --fs-yellow: #d29922; --fs-orange: #db6d28; --fs-red: #f85149; --fs-purple: #ab7df8;
    --fs-badge-bg: #262c36; --fs-tooltip: #151b23; --fs-grey: #8b949e;
  }
}
:root {
  --c-bg: var(--vscode-editor-background, var(--fs-bg));
  --c-fg: var(--vscode-editor-foreground, var(--vscode-foreground, var(--fs-fg)));
  --c-muted: var(--vscode-descriptionForeground, var(--fs-muted));
  --c-border: var(--vscode-panel-border, var(--vscode-widget-border, var(--fs-border)));
  --c-panel: var(--vscode-sideBar-background, var(--fs-panel));
  --c-accent: var(--vscode-textLink-foreground, var(--fs-accent));
  --c-sel: var(--vscode-list-activeSelectionBackground, var(--fs-sel));
  --c-sel-fg: var(--vscode-list-activeSelectionForeground, var(--fs-sel-fg));
  --c-hover: var(--vscode-list-hoverBackground, var(--fs-badge-bg));
  --c-focus: var(--vscode-focusBorder, var(--fs-focus));
  --c-input: var(--vscode-input-background, var(--fs-input));
  --c-input-fg: var(--vscode-input-foreground, var(--c-fg));
  --c-badge: var(--vscode-badge-background, var(--fs-badge-bg));
  --c-badge-fg: var(--vscode-badge-foreground, var(--c-fg));
  --c-tooltip: var(--vscode-editorHoverWidget-background, var(--fs-tooltip));
  --c-running: var(--vscode-charts-green, var(--fs-green));
  --c-waiting: var(--vscode-charts-yellow, var(--fs-yellow));
  --c-wait-join: var(--vscode-charts-purple, var(--fs-purple));
  --c-wait-lock: var(--vscode-charts-orange, var(--fs-orange));
  --c-wait-chan: var(--vscode-charts-blue, var(--fs-blue));
  --c-zombie: var(--vscode-charts-red, var(--fs-red));
  --c-blocked: var(--vscode-disabledForeground, var(--fs-grey));
  --c-error: var(--vscode-errorForeground, var(--fs-red));
  --c-warn: var(--vscode-editorWarning-foreground, var(--fs-yellow));
  --c-ch1: var(--vscode-charts-blue, var(--fs-blue));
  --c-ch2: var(--vscode-charts-orange, var(--fs-orange));
  --c-ch3: var(--vscode-charts-purple, var(--fs-purple));
  --c-ch4: var(--vscode-charts-green, var(--fs-green));
  --c-ch5: var(--vscode-charts-red, var(--fs-red));
  --c-ch6: var(--vscode-charts-yellow, var(--fs-yellow));
  --font: var(--vscode-font-family, system-ui, -apple-system, "Segoe UI", sans-serif);
  --mono: var(--vscode-editor-font-family, ui-monospace, "SF Mono", Menlo, Consolas, monospace);
  --fsize: var(--vscode-font-size, 13px);
}
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; height: 100%; background: var(--c-bg); color: var(--c-fg); font-family: var(--font); font-size: var(--fsize); }
button, input { font: inherit; color: inherit; }
:focus-visible { outline: 1px solid var(--c-focus); outline-offset: -1px; }
.fs-app { display: flex; flex-direction: column; height: 100vh; min-height: 0; }
.fs-header { padding: 8px 12px 6px; border-bottom: 1px solid var(--c-border); }
.fs-title { margin: 0 0 4px; font-size: 1.15em; font-weight: 600; display: flex; gap: 8px; align-items: baseline; flex-wrap: wrap; }
.fs-title .fs-status { font-size: 0.8em; font-weight: normal; padding: 1px 6px; border-radius: 8px; background: var(--c-badge); color: var(--c-badge-fg); }
.fs-title .fs-status.live { background: var(--c-running); color: var(--c-bg); }
.fs-title .fs-status.bad { background: var(--c-error); color: var(--c-bg); }
.fs-facts { display: flex; flex-wrap: wrap; gap: 4px 16px; margin: 0; padding: 0; list-style: none; }
.fs-facts li { white-space: nowrap; }
.fs-facts .k { color: var(--c-muted); margin-right: 4px; }
.fs-facts .v { font-variant-numeric: tabular-nums; }
.fs-insights { margin: 6px 0 0; }
.fs-insights[hidden] { display: none; }
.fs-insights-title { margin: 0 0 2px; font-size: 0.92em; font-weight: 600; color: var(--c-muted); }
.fs-insight-list { margin: 0; padding: 0; list-style: none; font-size: 0.92em; max-height: 7.5em; overflow: auto; }
.fs-insight { display: flex; gap: 6px; align-items: baseline; padding: 1px 4px; border-left: 3px solid var(--sev); cursor: pointer; border-radius: 2px; }
.fs-insight:hover { background: var(--c-hover); }
.fs-insight[aria-current=true] { background: var(--c-sel); color: var(--c-sel-fg); }
.fs-insight.sev-error { --sev: var(--c-error); } .fs-insight.sev-warning { --sev: var(--c-warn); } .fs-insight.sev-info { --sev: var(--c-accent); }
.fs-insight-icon { flex: none; color: var(--sev); }
.fs-insight-kind { flex: none; font-weight: 600; color: var(--sev); }
.fs-insight-at { flex: none; color: var(--c-muted); font-variant-numeric: tabular-nums; }
.fs-insight-message { flex: 1 1 auto; min-width: 0; }
.fs-insight-code { flex: none; font-family: var(--mono); font-size: 0.92em; color: var(--c-muted); }
button.fs-insight-code { background: none; border: none; padding: 0; cursor: pointer; color: var(--c-accent); text-decoration: underline dotted; }
.fs-warn-badge { padding: 0 5px; border-radius: 3px; font-size: 0.8em; font-weight: 600; border: 1px solid var(--sev); color: var(--sev); max-width: 16em; overflow: hidden; text-overflow: ellipsis; }
.fs-warn-badge[hidden] { display: none; }
.fs-warn-badge.sev-error { --sev: var(--c-error); } .fs-warn-badge.sev-warning { --sev: var(--c-warn); } .fs-warn-badge.sev-info { --sev: var(--c-accent); }
.fs-main { flex: 1; display: flex; min-height: 0; }
.fs-tree-pane { width: 45%; min-width: 280px; max-width: 760px; display: flex; flex-direction: column; border-right: 1px solid var(--c-border); background: var(--c-panel); }
.fs-filter { margin: 6px; padding: 3px 6px; background: var(--c-input); color: var(--c-input-fg); border: 1px solid var(--c-border); border-radius: 2px; }
.fs-tree { list-style: none; margin: 0; padding: 0 0 8px; overflow: auto; flex: 1; outline: none; }
.fs-tree ul { list-style: none; margin: 0; padding: 0; }
.fs-row { display: flex; align-items: center; gap: 6px; padding: 1px 6px 1px 0; white-space: nowrap; cursor: default; min-height: 22px; }
.fs-row:hover { background: var(--c-hover); }
[role=treeitem][aria-selected=true] > .fs-row { background: var(--c-sel); color: var(--c-sel-fg); }
[role=treeitem]:focus { outline: none; }
[role=treeitem]:focus-visible > .fs-row, [role=treeitem].kbd-focus:focus > .fs-row { outline: 1px solid var(--c-focus); outline-offset: -1px; }
.fs-twisty { width: 14px; flex: none; text-align: center; color: var(--c-muted); font-size: 0.8em; }
.fs-row > * { flex: none; }
.fs-name { font-weight: 600; overflow: hidden; text-overflow: ellipsis; max-width: 14em; flex: 0 0 auto; }
.fs-row > .fs-role { flex: 0 3 auto; min-width: 0; overflow: hidden; text-overflow: ellipsis; }
.fs-pid { color: var(--c-muted); font-family: var(--mono); font-size: 0.9em; }
.fs-role { color: var(--c-muted); font-size: 0.85em; }
.fs-target { font-family: var(--mono); font-size: 0.85em; color: var(--c-muted); overflow: hidden; text-overflow: ellipsis; max-width: 14em; }
.fs-row > .fs-target { flex: 0 5 auto; min-width: 0; }
.fs-row > .fs-exit { flex: 0 1 auto; min-width: 4em; overflow: hidden; text-overflow: ellipsis; }
button.fs-target { background: none; border: none; padding: 0; cursor: pointer; color: var(--c-accent); text-decoration: underline dotted; }
.fs-row > .fs-badge { flex: 0 0 auto; }
.fs-badge { padding: 0 6px; border-radius: 8px; font-size: 0.85em; border: 1px solid transparent; overflow: hidden; text-overflow: ellipsis; max-width: 22em; }
.fs-badge.running { background: color-mix(in srgb, var(--c-running) 22%, transparent); border-color: var(--c-running); }
.fs-badge.waiting { background: color-mix(in srgb, var(--c-waiting) 22%, transparent); border-color: var(--c-waiting); }
.fs-badge.ready { background: color-mix(in srgb, var(--c-running) 10%, transparent); border-color: var(--c-running); border-style: dashed; }
.fs-badge.blocked { background: color-mix(in srgb, var(--c-blocked) 22%, transparent); border-color: var(--c-blocked); }
.fs-badge.zombie { background: var(--c-zombie); color: var(--c-bg); font-weight: 600; }
.fs-badge.exited, .fs-badge.created, .fs-badge.starting { background: var(--c-badge); color: var(--c-badge-fg); }
.fs-flag { padding: 0 5px; border-radius: 3px; font-size: 0.8em; font-weight: 600; }
.fs-flag.orphan { background: var(--c-wait-lock); color: var(--c-bg); }
.fs-flag.zombie { background: var(--c-zombie); color: var(--c-bg); }
.fs-num { font-variant-numeric: tabular-nums; font-size: 0.85em; color: var(--c-muted); }
.fs-exit { font-size: 0.85em; }
.fs-exit.bad { color: var(--c-error); font-weight: 600; }
.fs-exit.calm { color: var(--c-muted); }
.fs-row > .fs-ppid { flex: 0 4 auto; min-width: 8em; overflow: hidden; text-overflow: ellipsis; color: var(--c-muted); font-size: 0.8em; }
.fs-ppid:empty { display: none; }
.fs-row > .fs-spacer { flex: 1 1 0; }
.helper > .fs-row { opacity: 0.62; }
.fs-context > .fs-row { opacity: 0.55; }
.fs-right { flex: 1; display: flex; flex-direction: column; min-width: 0; }
.fs-toolbar { display: flex; align-items: center; gap: 6px; padding: 4px 8px; border-bottom: 1px solid var(--c-border); flex-wrap: wrap; }
.fs-toolbar button, .fs-tabs [role=tab] { background: var(--vscode-button-secondaryBackground, var(--c-badge)); color: var(--vscode-button-secondaryForeground, var(--c-fg)); border: 1px solid var(--c-border); border-radius: 2px; padding: 1px 8px; cursor: pointer; }
.fs-toolbar button[aria-pressed=true] { background: var(--vscode-button-background, var(--c-accent)); color: var(--vscode-button-foreground, var(--c-bg)); }
.fs-legend { display: flex; gap: 10px; flex-wrap: wrap; font-size: 0.85em; color: var(--c-muted); margin-left: auto; }
.fs-legend span::before { content: ""; display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: -1px; background: var(--sw); border-radius: 2px; }
.fs-sw-running { --sw: var(--c-running); } .fs-sw-ready { --sw: color-mix(in srgb, var(--c-running) 35%, transparent); } .fs-sw-blocked { --sw: var(--c-blocked); } .fs-sw-waiting { --sw: var(--c-waiting); } .fs-sw-join { --sw: var(--c-wait-join); }
.fs-sw-chan { --sw: var(--c-wait-chan); } .fs-sw-lock { --sw: var(--c-wait-lock); } .fs-sw-zombie { --sw: var(--c-zombie); } .fs-sw-created { --sw: var(--c-border); } .fs-sw-starting { --sw: var(--c-muted, var(--c-border)); opacity: 0.6; }
.fs-timeline-pane { flex: 1 1 60%; display: flex; flex-direction: column; min-height: 200px; }
.fs-timeline { position: relative; flex: 1; min-height: 160px; overflow: hidden; }
.fs-timeline canvas { position: absolute; inset: 0; width: 100%; height: 100%; display: block; outline: none; }
.fs-timeline canvas:focus-visible { outline: 1px solid var(--c-focus); outline-offset: -1px; }
.fs-tabs { flex: 0 0 40%; display: flex; flex-direction: column; min-height: 140px; border-top: 1px solid var(--c-border); }
.fs-tablist { display: flex; gap: 2px; padding: 4px 8px 0; }
.fs-tabs [role=tab] { border-bottom: none; border-radius: 3px 3px 0 0; }
.fs-tabs [role=tab][aria-selected=true] { background: var(--c-bg); color: var(--c-fg); font-weight: 600; border-bottom: 1px solid var(--c-bg); margin-bottom: -1px; }
.fs-panels { flex: 1; min-height: 0; border-top: 1px solid var(--c-border); overflow: auto; }
[role=tabpanel] { padding: 8px; }
[role=tabpanel][hidden] { display: none; }
.fs-charts { display: grid; grid-template-columns: 1fr 1fr; gap: 8px; height: 100%; min-height: 200px; }
.fs-chart { position: relative; min-height: 180px; }
.fs-flows { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 12px; }
.fs-flow-list { overflow: auto; }
.fs-channel { margin-bottom: 10px; }
.fs-channel h3, .fs-pool h3 { margin: 0 0 4px; font-size: 1em; display: flex; gap: 8px; align-items: baseline; }
.fs-channel h3 .sw { width: 10px; height: 10px; border-radius: 2px; display: inline-block; background: var(--sw); }
table.fs-table { border-collapse: collapse; font-size: 0.92em; font-variant-numeric: tabular-nums; }
.fs-table th, .fs-table td { text-align: left; padding: 1px 10px 1px 0; white-space: nowrap; }
.fs-table th { color: var(--c-muted); font-weight: normal; }
.fs-table td.n { text-align: right; }
.fs-bar { display: inline-block; height: 8px; background: var(--sw, var(--c-accent)); vertical-align: middle; border-radius: 1px; }
.fs-muted { color: var(--c-muted); }
.fs-pool { margin-bottom: 14px; }
.fs-pool canvas { width: 100%; display: block; }
.fs-tooltip { position: fixed; z-index: 10; pointer-events: none; max-width: 420px; padding: 4px 8px; background: var(--c-tooltip); color: var(--c-fg); border: 1px solid var(--c-border); border-radius: 3px; box-shadow: 0 2px 8px rgba(0,0,0,0.25); font-size: 0.92em; white-space: pre-line; }
.fs-app.fs-compare { height: auto; min-height: 100vh; }
.fs-compare-body { padding: 8px 12px 16px; display: flex; flex-direction: column; gap: 14px; }
.fs-compare-table td.ratio { font-weight: 600; }
.fs-compare-workers { display: grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); gap: 12px; }
.fs-compare-workers h3, .fs-compare-label { margin: 0 0 4px; font-size: 1em; }
.fs-compare-timelines { display: flex; flex-direction: column; gap: 10px; }
.fs-compare-side { border: 1px solid var(--c-border); border-radius: 3px; padding-top: 4px; }
.fs-compare-side .fs-compare-label { padding: 0 8px; }
.fs-timeline-pane.fs-compare-timeline { flex: none; min-height: 0; }
.fs-compare-timeline .fs-timeline { flex: none; height: calc(var(--lanes, 4) * 20px + 30px); min-height: 90px; }
.fs-empty { padding: 16px; color: var(--c-muted); }
.fs-locks-section { margin-bottom: 16px; }
.fs-locks-section h3 { margin: 0 0 4px; font-size: 1em; }
.fs-locks-section h4 { margin: 8px 0 4px; font-size: 1em; font-weight: 600; }
.fs-lock { cursor: pointer; }
.fs-lock.sel, .fs-lock-row.sel { background: var(--c-sel); color: var(--c-sel-fg); }
.fs-lock-proc, .fs-lock-row { cursor: pointer; }
.fs-lock-timeline { margin-top: 6px; max-width: 900px; }
.fs-lock-row { display: flex; align-items: center; height: 18px; }
.fs-lock-label { flex: 0 0 160px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-size: 0.92em; }
.fs-lock-track { position: relative; flex: 1; height: 14px; border-bottom: 1px solid var(--c-border); }
.fs-lock-bar { position: absolute; top: 2px; height: 10px; min-width: 1px; }
.fs-lock-bar.hold, .fs-lock-key.hold { background: var(--c-running); }
.fs-lock-bar.wait, .fs-lock-key.wait { background: var(--c-wait-lock); opacity: 0.75; }
.fs-lock-key { display: inline-block; width: 10px; height: 10px; vertical-align: middle; }
.fs-shared-note { max-width: 760px; }
.fs-mono { font-family: var(--mono); }
.fs-locks-section p { margin: 2px 0 6px; }
.fs-error { padding: 16px; color: var(--c-error); white-space: pre-wrap; }
.fs-output { padding: 8px 12px; }
.fs-output-head, .fs-output .fs-note { margin: 0 0 6px; color: var(--c-muted); }
.fs-output-lines { border-collapse: collapse; font-family: var(--vscode-editor-font-family, monospace); font-size: 12px; }
.fs-output-lines td { padding: 0 8px 0 0; vertical-align: top; }
.fs-output-time, .fs-output-stream { color: var(--c-muted); white-space: nowrap; }
.fs-output-text { white-space: pre-wrap; word-break: break-all; }
.fs-output-lines .fs-stderr .fs-output-text { color: var(--c-error); }
.fs-sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
`;
