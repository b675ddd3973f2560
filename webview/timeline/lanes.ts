/**
 * The timeline's data, kept between frames: the message index (typed columns,
 * timelineLayout.ts), small integer ids for processes and channels, the lane
 * of each process (a collapsed one borrows its nearest shown ancestor's), and
 * each process's state bands for the model's current version.
 */

import { stateBands, type StateBand } from '../../core/model/states';
import { parentOf, type ProcessModel, type RunModel } from '../../core/model/types';
import { MessageIndex } from '../timelineLayout';
import type { TreeRow } from '../../core/treeRows';

/** How many parents are followed, at most, to find a collapsed process's lane. */
const MAX_ANCESTOR_HOPS = 64;

export class TimelineData {
  index: MessageIndex | null = null;
  private indexedModel: RunModel | null = null;
  private readonly procIds = new Map<number, number>();
  private readonly procPids: number[] = [];
  private readonly chanIds = new Map<string, number>();
  private readonly chanRefs: string[] = [];
  /** Lane of each process id (−1: none). */
  laneOf = new Int32Array(0);
  /** 1 where a process id has a lane of its own, 0 where it borrows an ancestor's. */
  ownLane = new Uint8Array(0);
  private laneOfFor: readonly TreeRow[] | null = null;
  private laneOfProcs = -1;
  private readonly bandCache = new Map<ProcessModel, { version: number; bands: StateBand[] }>();

  /** The colour of a channel (same as in the flows view): by the channel's position in the model. */
  static channelColorIndex(model: RunModel, channelId: string): number {
    let i = 0;
    for (const id of model.channels.keys()) {
      if (id === channelId) return i;
      i++;
    }
    return i;
  }

  /** Brings the index and the lanes up to date with `model` and `rows`. */
  sync(model: RunModel, rows: readonly TreeRow[]): MessageIndex {
    const index = this.syncIndex(model);
    for (const r of rows) this.procId(r.p.pid);
    this.updateLanes(rows, model);
    return index;
  }

  private procId(pid: number): number {
    let id = this.procIds.get(pid);
    if (id === undefined) {
      id = this.procPids.length;
      this.procIds.set(pid, id);
      this.procPids.push(pid);
    }
    return id;
  }

  private chanId(ref: string): number {
    let id = this.chanIds.get(ref);
    if (id === undefined) {
      id = this.chanRefs.length;
      this.chanIds.set(ref, id);
      this.chanRefs.push(ref);
    }
    return id;
  }

  private syncIndex(model: RunModel): MessageIndex {
    if (!this.index || this.indexedModel !== model) {
      this.procIds.clear();
      this.procPids.length = 0;
      this.chanIds.clear();
      this.chanRefs.length = 0;
      this.bandCache.clear();
      this.index = new MessageIndex(
        (pid) => this.procId(pid),
        (ref) => this.chanId(ref),
      );
      this.indexedModel = model;
      this.laneOfFor = null;
    }
    this.index.sync(model.messages);
    return this.index;
  }

  bandsOf(p: ProcessModel, model: RunModel): StateBand[] {
    if (p.daskLane) return []; // a remote dask worker's stand-in: its tasks are drawn instead (daskOverlay.ts)
    const c = this.bandCache.get(p);
    if (c && c.version === model.version) return c.bands;
    const bands = stateBands(p, model.run.now);
    this.bandCache.set(p, { version: model.version, bands });
    return bands;
  }

  private updateLanes(rows: readonly TreeRow[], model: RunModel): void {
    if (this.laneOfFor === rows && this.laneOfProcs === this.procPids.length) return;
    const laneByPid = new Map<number, number>();
    rows.forEach((r, i) => laneByPid.set(r.p.pid, i));
    // A process without a lane (inside a collapsed parent) sends and receives on its nearest shown ancestor's lane.
    const laneOfPid = (pid: number): number => {
      let cur: number | null = pid;
      for (let hops = 0; cur !== null && hops < MAX_ANCESTOR_HOPS; hops++) {
        const lane = laneByPid.get(cur);
        if (lane !== undefined) return lane;
        const p = model.byPid.get(cur);
        cur = p ? parentOf(p, model) : null;
      }
      return -1;
    };
    const laneOf = new Int32Array(this.procPids.length);
    const own = new Uint8Array(this.procPids.length);
    for (let i = 0; i < this.procPids.length; i++) {
      laneOf[i] = laneOfPid(this.procPids[i]);
      own[i] = laneByPid.has(this.procPids[i]) ? 1 : 0;
    }
    this.laneOf = laneOf;
    this.ownLane = own;
    this.laneOfFor = rows;
    this.laneOfProcs = this.procPids.length;
  }

  /** The colour of each channel id, from the palette's channel colours. */
  channelColors(model: RunModel, colors: readonly string[]): string[] {
    const out: string[] = [];
    const order = new Map<string, number>();
    let i = 0;
    for (const id of model.channels.keys()) order.set(id, i++);
    for (let k = 0; k < this.chanRefs.length; k++) {
      const id = model.channelOf(this.chanRefs[k])?.id ?? this.chanRefs[k];
      out[k] = colors[(order.get(id) ?? k) % colors.length];
    }
    return out;
  }
}
