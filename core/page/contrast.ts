/**
 * Colour contrast the WCAG way, for the theme tests: parse the colours a browser computes
 * (`#rrggbb`, `rgb()`/`rgba()`, `color(srgb …)`), lay a translucent colour over its
 * background, and the contrast ratio of two colours (1 to 21). Pure: no DOM.
 */

/** Red, green, blue in 0–255 and alpha in 0–1. */
export interface Rgba {
  r: number;
  g: number;
  b: number;
  a: number;
}

/** Text needs this ratio against its background (WCAG 2 AA, normal text). */
export const TEXT_CONTRAST = 4.5;
/** Graphics that carry meaning (state bands, borders of controls) need this (WCAG 2 AA, non-text). */
export const GRAPHIC_CONTRAST = 3;

/** Parses a computed CSS colour; null for anything else (keywords other than `transparent`, other colour spaces). */
export function parseColor(text: string): Rgba | null {
  const s = text.trim().toLowerCase();
  if (s === 'transparent') return { r: 0, g: 0, b: 0, a: 0 };
  let m = /^#([0-9a-f]{3,8})$/.exec(s);
  if (m) {
    const h = m[1];
    if (h.length === 3 || h.length === 4) {
      const [r, g, b, a] = [...h].map((c) => parseInt(c + c, 16));
      return { r, g, b, a: h.length === 4 ? a / 255 : 1 };
    }
    if (h.length === 6 || h.length === 8) {
      const n = (i: number) => parseInt(h.slice(i, i + 2), 16);
      return { r: n(0), g: n(2), b: n(4), a: h.length === 8 ? n(6) / 255 : 1 };
    }
    return null;
  }
  m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)\s*(?:[,/]\s*([\d.]+%?)\s*)?\)$/.exec(s);
  if (m) return { r: +m[1], g: +m[2], b: +m[3], a: alpha(m[4]) };
  m = /^color\(srgb\s+([\d.e-]+)\s+([\d.e-]+)\s+([\d.e-]+)\s*(?:\/\s*([\d.]+%?)\s*)?\)$/.exec(s);
  if (m) return { r: +m[1] * 255, g: +m[2] * 255, b: +m[3] * 255, a: alpha(m[4]) };
  return null;
}

function alpha(v: string | undefined): number {
  if (v === undefined) return 1;
  return v.endsWith('%') ? parseFloat(v) / 100 : parseFloat(v);
}

/** `fg` drawn over the opaque `bg` with fg's alpha times `opacity` (what a canvas with globalAlpha shows). */
export function over(fg: Rgba, bg: Rgba, opacity = 1): Rgba {
  const a = Math.max(0, Math.min(1, fg.a * opacity));
  const mix = (x: number, y: number) => x * a + y * (1 - a);
  return { r: mix(fg.r, bg.r), g: mix(fg.g, bg.g), b: mix(fg.b, bg.b), a: 1 };
}

/** WCAG relative luminance of an opaque colour. */
export function luminance(c: Rgba): number {
  const lin = (v: number) => {
    const x = v / 255;
    return x <= 0.04045 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
}

/** WCAG contrast ratio of two colours (a translucent `a` is first laid over `b`). */
export function contrastRatio(a: Rgba, b: Rgba): number {
  const fa = a.a < 1 ? over(a, b) : a;
  const [hi, lo] = [luminance(fa), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** `#rrggbb` of an opaque colour (for messages). */
export function hex(c: Rgba): string {
  return '#' + [c.r, c.g, c.b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
}

/** The colour variables drawn as text on the page background: each must reach TEXT_CONTRAST in every theme. */
export const THEMED_TEXT_VARS: readonly string[] = ['--c-fg', '--c-muted', '--c-error'];

/**
 * The state-band colour variables with the opacity the timeline draws them at (running and zombie nearly
 * opaque, waits at 70 %: webview/timeline/renderer.ts): each, so drawn, must reach GRAPHIC_CONTRAST.
 */
export const THEMED_BAND_OPACITY: Readonly<Record<string, number>> = {
  '--c-running': 0.9,
  '--c-zombie': 0.9,
  '--c-waiting': 0.7,
  '--c-wait-join': 0.7,
  '--c-wait-chan': 0.7,
  '--c-wait-lock': 0.7,
  '--c-blocked': 0.7,
  '--c-muted': 0.7,
};
