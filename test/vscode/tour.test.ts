/**
 * The walkthrough as a guided tour of real runs, and the themes, in the real workbench:
 *
 * - every walkthrough step shows a picture of the sample it is about, taken here from a real run
 *   in the dark and light themes (FORKSCOPE_UPDATE_PICTURES=1 writes them into media/walkthrough/;
 *   otherwise the committed ones must exist, name the step's sample and theme, and have the size
 *   of a fresh shot), and the walkthrough renders them (the light or dark one by theme);
 * - after a run the Processes view is revealed and expanded, even from a collapsed view in
 *   another side bar;
 * - the inspector, the compare view and the Processes view in the light, dark and both
 *   high-contrast themes: screenshots in test-results/vscode/themes/, and text and state colours
 *   measured in the webviews against their background (WCAG ratios), borders in high contrast.
 */

import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  contrastRatio,
  GRAPHIC_CONTRAST,
  hex,
  over,
  parseColor,
  TEXT_CONTRAST,
  THEMED_BAND_OPACITY,
  THEMED_TEXT_VARS,
  type Rgba,
} from '../../core/page/contrast';
import type { ForkscopeApi } from '../../extension/vscode/extension';
import { Commands, Views, WALKTHROUGH } from '../../extension/vscode/ids';
import { revealRow } from '../../extension/vscode/processTree';
import { EXTENSION_ID, sample, waitFor } from './support';
import {
  pngReadable,
  pngSize,
  probe,
  probeUntil,
  readPictureInfo,
  screenshot,
  setTheme,
  shotsDir,
  THEMES,
  webviewsDrawnIn,
  withPictureInfo,
  type ShotOptions,
  type ThemeKey,
} from './workbench';

/**
 * Each walkthrough step: its picture's file name, the sample it is about, and how many Forkscope pages (the
 * inspector, a recording) its picture shows once staged.
 */
const TOUR: Record<string, { picture: string; sample: string; pages: number }> = {
  openSamples: { picture: 'samples', sample: '02_start_join_order.py', pages: 0 },
  runFirst: { picture: 'run', sample: '01_first_process.py', pages: 1 },
  processesView: { picture: 'processes', sample: '05_queue.py', pages: 1 },
  timeline: { picture: 'timeline', sample: '02_start_join_order.py', pages: 1 },
  flowsCpu: { picture: 'flows', sample: '09_pool.py', pages: 1 },
  debugType: { picture: 'launch', sample: '04_pipe.py', pages: 0 },
  recordings: { picture: 'recordings', sample: '08_manager.py', pages: 1 },
};
/** The pictures are taken at this page size (the tour's pictures are read at about half a window). */
const TOUR_VIEWPORT: [number, number] = [1280, 800];
const DEFAULT_VIEWPORT: [number, number] = [1600, 1000];
const PICTURE_THEMES = ['dark', 'light'] as const;

interface WalkthroughStep {
  id: string;
  description: string;
  media: { image?: { light: string; dark: string; hc: string; hcLight: string }; altText?: string; markdown?: string };
}

let api: ForkscopeApi;
const root = () => vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
const steps = (): WalkthroughStep[] =>
  vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.walkthroughs.find((w: { id: string }) => w.id === WALKTHROUGH)
    .steps;

/** Runs a sample as a user does (the command: interactive, inspector opened); resolves when it ended. */
async function runLikeAUser(name: string): Promise<string> {
  const ended = new Promise<string>((resolve) => {
    const d = api.onDidEndRun((e) => {
      if (path.basename(e.script) === name) {
        d.dispose();
        resolve(e.recording);
      }
    });
  });
  await vscode.commands.executeCommand(Commands.runFile, sample(name));
  return ended;
}

suite('The walkthrough and the themes', function () {
  this.timeout(300_000);

  suiteSetup(async () => {
    api = await vscode.extensions.getExtension<ForkscopeApi>(EXTENSION_ID)!.activate();
  });

  suiteTeardown(async () => {
    await api?.stopAll();
    if (shotsDir()) {
      await setTheme('dark');
      await screenshot('tour-end', { viewport: DEFAULT_VIEWPORT });
    }
  });

  test('every walkthrough step shows a committed light/dark picture of its sample and names that sample', () => {
    const all = steps();
    assert.deepStrictEqual(all.map((s) => s.id).sort(), Object.keys(TOUR).sort());
    for (const s of all) {
      const t = TOUR[s.id];
      const img = s.media.image;
      assert.ok(img, `${s.id}: media is an image`);
      assert.ok((s.media.altText ?? '').length > 20, `${s.id}: altText`);
      assert.ok(s.description.includes(t.sample), `${s.id}: the description names ${t.sample}`);
      const byTheme = { light: img.light, dark: img.dark, hcLight: img.hcLight, hc: img.hc };
      for (const [key, rel] of Object.entries(byTheme)) {
        const theme = key === 'hc' ? 'dark' : key === 'hcLight' ? 'light' : key;
        assert.strictEqual(rel, `media/walkthrough/${t.picture}-${theme}.png`, `${s.id} ${key}`);
        const png = fs.readFileSync(path.join(root(), rel));
        assert.ok(pngReadable(png), `${rel} is a whole PNG`);
        assert.deepStrictEqual(readPictureInfo(png), { step: s.id, sample: t.sample, theme }, `${rel} was taken of ${t.sample}`);
      }
    }
  });

  test('the walkthrough pictures, retaken from real runs of the samples', async function () {
    if (!shotsDir()) this.skip();
    const update = process.env.FORKSCOPE_UPDATE_PICTURES === '1';
    const stage: Record<string, () => Promise<ShotOptions>> = {
      openSamples: async () => {
        await vscode.commands.executeCommand('workbench.action.closeAllEditors');
        await vscode.window.showTextDocument(sample(TOUR.openSamples.sample));
        await vscode.commands.executeCommand('workbench.view.explorer');
        return {};
      },
      runFirst: async () => {
        await vscode.commands.executeCommand('workbench.action.closeAllEditors');
        await vscode.window.showTextDocument(sample(TOUR.runFirst.sample));
        await runLikeAUser(TOUR.runFirst.sample);
        await waitFor('the Processes view', () => api._test.treeView.visible);
        return {};
      },
      processesView: async () => {
        await runLikeAUser(TOUR.processesView.sample);
        await waitFor('the Processes view', () => api._test.treeView.visible);
        const tree = api._test.tree;
        const main = tree.getChildren()[0];
        await revealRow(api._test.treeView, main, { expand: 2, select: false, focus: false });
        return { selector: '.part.sidebar' };
      },
      timeline: async () => {
        await vscode.commands.executeCommand('workbench.action.closeAllEditors');
        await runLikeAUser(TOUR.timeline.sample);
        return { selector: '.part.editor' };
      },
      flowsCpu: async () => {
        await vscode.commands.executeCommand('workbench.action.closeAllEditors');
        await runLikeAUser(TOUR.flowsCpu.sample);
        // The Pools tab: the chunks each worker took.
        await probeUntil(
          'pools-tab',
          'webviews',
          () => {
            const tab = [...document.querySelectorAll('[role=tab]')].find((t) => /Pools/.test(t.textContent ?? '')) as
              HTMLElement | undefined;
            tab?.click();
            return tab?.getAttribute('aria-selected') === 'true';
          },
          (v) => v.includes(true),
        );
        return { selector: '.part.editor' };
      },
      debugType: async () => {
        await vscode.commands.executeCommand('workbench.action.closeAllEditors');
        const folder = vscode.workspace.workspaceFolders![0];
        await vscode.window.showTextDocument(vscode.Uri.file(path.join(folder.uri.fsPath, '.vscode', 'launch.json')));
        const ended = new Promise((r) => {
          const d = vscode.debug.onDidTerminateDebugSession((s) => (d.dispose(), r(s)));
        });
        await vscode.debug.startDebugging(folder, {
          type: 'forkscope',
          request: 'launch',
          name: 'Forkscope: 04_pipe.py',
          program: '${workspaceFolder}/' + TOUR.debugType.sample,
          openInspector: false,
        });
        await ended;
        await vscode.commands.executeCommand('workbench.debug.action.focusRepl');
        return {};
      },
      recordings: async () => {
        await vscode.commands.executeCommand('workbench.action.closeAllEditors');
        await vscode.commands.executeCommand('workbench.action.closePanel');
        const s = await api.runFile(sample(TOUR.recordings.sample), { openInspector: false });
        assert.strictEqual(s.run.exitCode, 0);
        const recording = [...fs.readdirSync(path.join(path.dirname(sample('x').fsPath), '.forkscope-recordings'))]
          .filter((f) => f.startsWith(TOUR.recordings.sample.replace(/\.py$/, '')))
          .sort()
          .pop()!;
        const uri = vscode.Uri.file(path.join(path.dirname(sample('x').fsPath), '.forkscope-recordings', recording));
        await vscode.commands.executeCommand(Commands.openRecording, uri);
        await waitFor('the recording editor', () => api._test.recordings.open.get(uri.fsPath)?.stats.initsSent);
        await vscode.commands.executeCommand('workbench.view.explorer');
        await vscode.commands.executeCommand('revealInExplorer', uri);
        return {};
      },
    };
    await setTheme(PICTURE_THEMES[0]);
    await screenshot('tour-start', { viewport: TOUR_VIEWPORT });
    const written: string[] = [];
    for (const [i, [step, t]] of Object.entries(TOUR).entries()) {
      // The same layout for every picture: no bottom panel (earlier tests may have left one open), the side bar shown.
      await vscode.commands.executeCommand('workbench.action.closePanel');
      await vscode.commands.executeCommand('notifications.clearAll');
      await vscode.commands.executeCommand('workbench.view.debug');
      const options = await stage[step]();
      // Each step starts in the theme the last one ended in: one switch of theme per step.
      const themes = i % 2 === 0 ? PICTURE_THEMES : [...PICTURE_THEMES].reverse();
      for (const [j, theme] of themes.entries()) {
        if (j > 0) await setTheme(theme);
        await webviewsDrawnIn(theme, t.pages);
        const shot = fs.readFileSync(await screenshot(`walkthrough/${t.picture}-${theme}`, { ...options, viewport: TOUR_VIEWPORT }));
        const committed = path.join(root(), 'media', 'walkthrough', `${t.picture}-${theme}.png`);
        if (update) {
          fs.writeFileSync(committed, withPictureInfo(shot, { step, sample: t.sample, theme }));
          written.push(committed);
        } else {
          assert.ok(fs.existsSync(committed), `${committed} (FORKSCOPE_UPDATE_PICTURES=1 writes it)`);
          assert.deepStrictEqual(pngSize(fs.readFileSync(committed)), pngSize(shot), `${committed} has the size of a fresh shot`);
        }
      }
    }
    if (update) console.log(`walkthrough pictures written:\n  ${written.join('\n  ')}`);
  });

  test('the walkthrough renders each step’s picture in the theme’s variant', async function () {
    if (!shotsDir()) this.skip();
    await vscode.commands.executeCommand('workbench.action.closeAllGroups');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('workbench.action.closePanel');
    const category = `${EXTENSION_ID}#${WALKTHROUGH}`;
    for (const theme of ['dark', 'light', 'hc'] as const) {
      await setTheme(theme);
      await vscode.commands.executeCommand('workbench.action.openWalkthrough', { category, step: 'timeline' }, false);
      const variant = theme === 'light' ? 'light' : 'dark';
      const [img] = await probeUntil(
        `walkthrough-media-${theme}`,
        'workbench',
        () => {
          // The walkthrough sets the picture of the theme as the image's srcset.
          const src = (x: HTMLImageElement) => decodeURIComponent(x.currentSrc || x.srcset || x.src);
          const i = [...document.querySelectorAll('.part.editor img')].find((x) =>
            /media\/walkthrough\//.test(src(x as HTMLImageElement)),
          ) as HTMLImageElement | undefined;
          return i
            ? { src: src(i), loaded: i.complete && i.naturalWidth > 0, width: i.getBoundingClientRect().width }
            : { src: [...document.querySelectorAll('img')].map((x) => src(x)).join(' '), loaded: false, width: 0 };
        },
        (v) => !!v[0]?.loaded && v[0].src.includes(`timeline-${variant}.png`) && v[0].width > 200,
      );
      assert.ok(img && img.width > 200, `the picture is shown (${JSON.stringify(img)})`);
      await screenshot(`walkthrough-step-${theme}`);
    }
    await setTheme('dark');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('after a run the Processes view is revealed and expanded', async function () {
    // Collapse the Processes view (in the workbench: its pane header), then leave for the Explorer.
    await vscode.commands.executeCommand(`${Views.processes}.focus`);
    await waitFor('the Processes view', () => api._test.treeView.visible);
    const header = () => {
      const h = [...document.querySelectorAll('.pane-header')].find((x) =>
        /^Processes\b/i.test(x.getAttribute('aria-label') ?? x.textContent ?? ''),
      );
      return h ? h.getAttribute('aria-expanded') : null;
    };
    if (shotsDir()) {
      await probeUntil(
        'collapse-processes',
        'workbench',
        () => {
          const h = [...document.querySelectorAll('.pane-header')].find((x) =>
            /^Processes\b/i.test(x.getAttribute('aria-label') ?? x.textContent ?? ''),
          ) as HTMLElement | undefined;
          if (h?.getAttribute('aria-expanded') === 'true') h.click();
          return h?.getAttribute('aria-expanded') ?? null;
        },
        (v) => v[0] === 'false',
      );
      await waitFor('the collapsed view to be hidden', () => !api._test.treeView.visible);
    }
    await vscode.commands.executeCommand('workbench.view.explorer');
    await waitFor('the Processes view to be hidden', () => !api._test.treeView.visible);
    const before = api._test.processesRevealed();
    await runLikeAUser('01_first_process.py');
    await waitFor('the Processes view to be visible after the run', () => api._test.treeView.visible, 10_000);
    assert.ok(api._test.processesRevealed() > before);
    if (shotsDir()) {
      const [expanded] = await probe('processes-expanded', 'workbench', header);
      assert.strictEqual(expanded, 'true', 'the Processes pane is expanded');
      await screenshot('processes-revealed');
    }
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  suite('themes: the inspector, the compare view and the Processes view', () => {
    /** Colours a webview computes (rgb() strings), read from its CSS variables and its elements. */
    interface Measured {
      mode: string;
      classes: string;
      bg: string;
      vars: Record<string, string>;
      borders: Record<string, { width: string; color: string } | null>;
      contrastBorder: string;
      loaded: boolean;
    }
    const measure = (arg: { vars: string[]; borders: string[] }): Measured => {
      const body = document.body;
      const resolve = (v: string) => {
        const e = document.createElement('span');
        e.style.color = `var(${v})`;
        body.appendChild(e);
        const c = getComputedStyle(e).color;
        e.remove();
        return c;
      };
      const vars: Record<string, string> = {};
      for (const v of arg.vars) vars[v] = resolve(v);
      const borders: Measured['borders'] = {};
      for (const sel of arg.borders) {
        const e = document.querySelector(sel);
        const s = e ? getComputedStyle(e) : null;
        borders[sel] = s ? { width: s.borderTopWidth, color: s.borderTopColor } : null;
      }
      return {
        mode: body.dataset.mode ?? '',
        classes: body.className,
        bg: getComputedStyle(body).backgroundColor,
        vars,
        borders,
        contrastBorder: resolve('--vscode-contrastBorder'),
        loaded: !/Loading the inspector/.test(body.innerText),
      };
    };
    const TEXT = THEMED_TEXT_VARS;
    const BANDS = THEMED_BAND_OPACITY;
    const BORDERED = ['.fs-toolbar button', '.fs-tabs [role=tab]', '.fs-badge'];

    let recordings: string[] = [];

    suiteSetup(async function () {
      if (!shotsDir()) this.skip();
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      // Earlier tests' panels and notifications would cover the views in the screenshots.
      await vscode.commands.executeCommand('workbench.action.closePanel');
      await vscode.commands.executeCommand('notifications.clearAll');
      recordings = [await runLikeAUser('06_lock.py'), await runLikeAUser('05_queue.py')];
      await waitFor('the inspector', () => api._test.inspector.webviewStats?.initsSent);
      // The inspector and the compare view side by side (a hidden webview has no document to measure).
      const groupOf = (label: RegExp) => vscode.window.tabGroups.all.find((g) => g.tabs.some((t) => label.test(t.label)));
      const inspectorColumn = (await waitFor('the inspector tab', () => groupOf(/^Forkscope/))).viewColumn;
      await vscode.commands.executeCommand(
        inspectorColumn === 1 ? 'workbench.action.focusSecondEditorGroup' : 'workbench.action.focusFirstEditorGroup',
      );
      const compare = await api._test.compare.show(vscode.Uri.file(recordings[0]), vscode.Uri.file(recordings[1]));
      await waitFor('the compare view to show its runs', () => compare?.stats.shownLanes);
      await waitFor('the inspector and the compare view side by side', () => groupOf(/^Compare/) !== groupOf(/^Forkscope/));
      await vscode.commands.executeCommand(`${Views.processes}.focus`);
    });

    for (const key of Object.keys(THEMES) as ThemeKey[]) {
      test(`${THEMES[key].name}: text and state colours keep their contrast${key.startsWith('hc') ? ', controls have borders' : ''}`, async () => {
        await setTheme(key);
        const pages = await probeUntil(
          `colours-${key}`,
          'webviews',
          measure,
          (v) => v.length >= 2 && v.every((m) => m.loaded && m.classes.includes(THEMES[key].bodyClass)),
          { vars: [...new Set([...TEXT, ...Object.keys(BANDS)])], borders: BORDERED },
        );
        assert.deepStrictEqual([...new Set(pages.map((p) => p.mode))].sort(), ['compare', 'inspector']);
        await webviewsDrawnIn(key);
        await screenshot(`themes/${key}`, { viewport: DEFAULT_VIEWPORT });
        const failures: string[] = [];
        for (const p of pages) {
          const bg = parseColor(p.bg);
          assert.ok(bg && bg.a === 1, `${p.mode}: an opaque background (${p.bg})`);
          const col = (v: string): Rgba => {
            const c = parseColor(p.vars[v]);
            assert.ok(c, `${p.mode}: ${v} computes to a colour (${p.vars[v]})`);
            return c!;
          };
          for (const v of TEXT) {
            const r = contrastRatio(col(v), bg!);
            if (r < TEXT_CONTRAST) failures.push(`${p.mode} ${v} ${hex(col(v))} on ${hex(bg!)}: ${r.toFixed(2)} < ${TEXT_CONTRAST}`);
          }
          for (const [v, opacity] of Object.entries(BANDS)) {
            const drawn = over(col(v), bg!, opacity);
            const r = contrastRatio(drawn, bg!);
            if (r < GRAPHIC_CONTRAST)
              failures.push(`${p.mode} ${v} ${hex(col(v))} at ${opacity} on ${hex(bg!)}: ${r.toFixed(2)} < ${GRAPHIC_CONTRAST}`);
          }
          if (key === 'hc' || key === 'hcLight') {
            const border = parseColor(p.contrastBorder);
            for (const sel of BORDERED) {
              const b = p.borders[sel];
              if (!b) continue; // the compare page has no toolbar or tabs
              const c = parseColor(b.color);
              if (!(parseFloat(b.width) >= 1 && c && border && hex(c) === hex(border)))
                failures.push(`${p.mode} ${sel}: border ${b.width} ${b.color}, want the contrast border ${p.contrastBorder}`);
            }
          }
        }
        assert.deepStrictEqual(failures, []);
      });
    }
  });
});
