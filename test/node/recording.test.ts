import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRecording, RecordingError, RECORDING_VERSION } from '../../core/model/recording';
import { queueRun } from '../builders/runBuilder';

test('a whole recording loads: header and every record', () => {
  const b = queueRun();
  const rec = parseRecording(b.text());
  assert.equal(rec.header.script, 'demo.py');
  assert.equal(rec.records.length, b.records.length);
  assert.equal(rec.truncated, false);
  assert.equal(rec.skippedLines, 0);
});

test('a recording cut mid-line loads up to the cut', () => {
  const text = queueRun().text();
  const cut = text.slice(0, text.length - 25); // inside the last record
  const rec = parseRecording(cut);
  assert.equal(rec.truncated, true);
  assert.equal(rec.records.length, queueRun().records.length - 1);
});

test('a file that is not a recording is refused with a one-line reason naming it', () => {
  for (const text of ['hello world\n', '{"a":1}\n', '', '[1,2,3]\n']) {
    assert.throws(
      () => parseRecording(text, 'notes.txt'),
      (e: unknown) => e instanceof RecordingError && e.message.includes('notes.txt') && !e.message.includes('\n'),
    );
  }
});

test('a recording from a newer format version says so', () => {
  const b = queueRun();
  const text = b.text().replace(`"version":${RECORDING_VERSION}`, `"version":${RECORDING_VERSION + 1}`);
  assert.throws(() => parseRecording(text, 'new.forkscope'), /newer than this Forkscope reads/);
});
