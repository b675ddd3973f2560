/**
 * Theme colours of the inspector and the compare page, on top of INSPECTOR_CSS: VS Code's light,
 * dark and both high-contrast themes (the webview's body gets `vscode-light`, `vscode-dark`,
 * `vscode-high-contrast`, and `vscode-high-contrast-light` with `vscode-high-contrast`), and the
 * standalone report's light and dark schemes.
 *
 * The rule: text keeps 4.5:1 against the background and every state band 3:1 as the timeline
 * draws it (waits at 70 % opacity), in each theme. VS Code's own chart colours do on dark
 * backgrounds (but for high contrast's orange); on light ones its yellow, orange, blue, the
 * disabled grey and Light Modern's error red do not, so light themes get darker colours of the
 * same hues. High contrast draws borders around controls,
 * badges and panes in the theme's contrast colours. Layout rules stay in INSPECTOR_CSS.
 */

/** The state colours for light backgrounds (≥ 3:1 on white at 70 % opacity). */
const LIGHT_STATES = `
  --c-running: #17692a; --c-waiting: #775200; --c-wait-join: #652d90; --c-wait-chan: #0b55b0;
  --c-wait-lock: #974000; --c-zombie: #b8140a; --c-blocked: #586069; --c-muted: #5a5a5a; --c-error: #b8140a;
  --c-ch1: #0b55b0; --c-ch2: #974000; --c-ch3: #652d90; --c-ch4: #17692a; --c-ch5: #b8140a; --c-ch6: #775200;
`;

export const THEME_CSS = `
@media (prefers-color-scheme: light) {
  :root { --fs-green: #17692a; --fs-yellow: #775200; --fs-purple: #652d90; --fs-blue: #0b55b0; --fs-orange: #974000; --fs-red: #b8140a; --fs-grey: #586069; --fs-muted: #5a5a5a; }
}
:root { --c-blocked: var(--fs-grey); }
body.vscode-dark { --c-blocked: #9aa0a6; }
body.vscode-light, body.vscode-high-contrast-light {${LIGHT_STATES}}
body.vscode-high-contrast:not(.vscode-high-contrast-light) {
  --c-blocked: var(--vscode-disabledForeground, #a5a5a5); --c-wait-lock: #f0a030; --c-ch2: #f0a030;
}
body.vscode-high-contrast {
  --c-border: var(--vscode-contrastBorder, var(--fs-border));
  --c-hc-active: var(--vscode-contrastActiveBorder, var(--c-focus));
}
body.vscode-high-contrast .fs-header,
body.vscode-high-contrast .fs-toolbar,
body.vscode-high-contrast .fs-tree-pane,
body.vscode-high-contrast .fs-tabs,
body.vscode-high-contrast .fs-panels,
body.vscode-high-contrast .fs-compare-side { border-color: var(--c-border); }
body.vscode-high-contrast .fs-toolbar button,
body.vscode-high-contrast .fs-tabs [role=tab],
body.vscode-high-contrast .fs-filter,
body.vscode-high-contrast .fs-badge,
body.vscode-high-contrast .fs-flag,
body.vscode-high-contrast .fs-title .fs-status { border: 1px solid var(--c-border); }
body.vscode-high-contrast .fs-toolbar button[aria-pressed=true],
body.vscode-high-contrast .fs-tabs [role=tab][aria-selected=true] { outline: 1px solid var(--c-hc-active); outline-offset: -3px; }
body.vscode-high-contrast [role=treeitem][aria-selected=true] > .fs-row,
body.vscode-high-contrast .fs-insight[aria-current=true],
body.vscode-high-contrast .fs-lock.sel,
body.vscode-high-contrast .fs-lock-row.sel { outline: 1px dashed var(--c-hc-active); outline-offset: -1px; }
body.vscode-high-contrast .fs-row:hover,
body.vscode-high-contrast .fs-insight:hover { outline: 1px dotted var(--c-hc-active); outline-offset: -1px; }
body.vscode-high-contrast .fs-tooltip { border-color: var(--c-border); box-shadow: none; }
`;
