/**
 * The timeline: one lane per process (in tree order), time along x. State
 * bands (created, running, waiting — coloured by what is waited on —, zombie,
 * exited) and an arrow from sender lane to receiver lane for every recorded
 * message, coloured by channel. Drawn on one canvas, culled to the visible
 * window; dense arrows are bundled into counts (../timelineLayout.ts).
 *
 * The parts: view.ts wires them (toolbar, canvas, one frame), renderer.ts
 * draws (bands, arrows, axis, gutter, insight marks, output ticks),
 * input.ts handles mouse, wheel and keyboard (zoom, pan, selection),
 * hitTest.ts says what is under the pointer, geometry.ts places lanes,
 * lanes.ts keeps the message index and each process's lane, palette.ts the
 * colours, search.ts the one binary search.
 */

export { DIRECT_ARROW_LIMIT } from './renderer';
export type { DrawnMark, TimelineHost, TimelineViewState } from './types';
export { TimelineView } from './view';
