/**
 * The WCAG colour arithmetic the theme tests use (core/page/contrast.ts): parsing what browsers
 * compute, laying a translucent colour over its background, and contrast ratios, against
 * known values.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contrastRatio, hex, luminance, over, parseColor } from '../../core/page/contrast';

test('parseColor reads the forms a browser computes', () => {
  assert.deepEqual(parseColor('rgb(31, 31, 31)'), { r: 31, g: 31, b: 31, a: 1 });
  assert.deepEqual(parseColor('rgba(204, 204, 204, 0.5)'), { r: 204, g: 204, b: 204, a: 0.5 });
  assert.deepEqual(parseColor('rgb(10 20 30 / 50%)'), { r: 10, g: 20, b: 30, a: 0.5 });
  assert.deepEqual(parseColor('#0b55b0'), { r: 11, g: 85, b: 176, a: 1 });
  assert.deepEqual(parseColor('#fff'), { r: 255, g: 255, b: 255, a: 1 });
  assert.deepEqual(parseColor('#61616180'), { r: 97, g: 97, b: 97, a: 128 / 255 });
  assert.deepEqual(parseColor('color(srgb 1 0.5 0)'), { r: 255, g: 127.5, b: 0, a: 1 });
  assert.deepEqual(parseColor('transparent'), { r: 0, g: 0, b: 0, a: 0 });
  assert.equal(parseColor('red'), null);
  assert.equal(parseColor('oklch(0.5 0.1 200)'), null);
});

test('contrast ratios: the WCAG extremes and known pairs', () => {
  const white = parseColor('#ffffff')!;
  const black = parseColor('#000000')!;
  assert.equal(luminance(white), 1);
  assert.equal(luminance(black), 0);
  assert.equal(contrastRatio(black, white), 21);
  assert.equal(contrastRatio(white, white), 1);
  // Symmetric.
  const grey = parseColor('#767676')!;
  assert.equal(contrastRatio(grey, white), contrastRatio(white, grey));
  // #767676 on white is the classic 4.54:1.
  assert.ok(Math.abs(contrastRatio(grey, white) - 4.54) < 0.01);
});

test('a translucent colour is laid over its background first', () => {
  const white = parseColor('#ffffff')!;
  const half = over(parseColor('#000000')!, white, 0.5);
  assert.equal(hex(half), '#808080');
  // The colour's own alpha and the drawing opacity multiply.
  assert.equal(hex(over(parseColor('rgba(0, 0, 0, 0.5)')!, white, 0.5)), '#bfbfbf');
  // contrastRatio of a translucent colour equals that of the colour laid over the background.
  const t = parseColor('rgba(204, 204, 204, 0.5)')!;
  const bg = parseColor('#1f1f1f')!;
  assert.equal(contrastRatio(t, bg), contrastRatio(over(t, bg), bg));
  // VS Code's disabled grey at the timeline's wait opacity on Dark Modern: too faint for a band.
  assert.ok(contrastRatio(over(t, bg, 0.7), bg) < 3);
});
