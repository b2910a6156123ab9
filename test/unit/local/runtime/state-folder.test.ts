import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  clearState,
  lockState,
  readState,
  StateFile,
  unlockState,
  writeState,
} from '../../../../local/runtime/state-folder.ts';

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'state-folder-'));
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

describe('state folder', () => {
  it('round-trips JSON, binary attributes included', () => {
    const value = { items: [{ data: { B: new Uint8Array([1, 2, 255]) }, name: { S: 'x' } }] };

    writeState(directory, StateFile.tables, value);

    expect(readState(directory, StateFile.tables)).toEqual(value);
    expect(readState(directory, StateFile.cloud)).toBeUndefined();
  });

  it('clearState removes the state files', () => {
    writeState(directory, StateFile.replies, []);

    clearState(directory);

    expect(readState(directory, StateFile.replies)).toBeUndefined();
  });

  it('refuses a folder another live process holds, and takes over one a dead process left', () => {
    writeFileSync(join(directory, StateFile.lock), `${process.ppid}\n`);
    expect(() => lockState(directory)).toThrow(`is in use by process ${process.ppid}`);

    writeFileSync(join(directory, StateFile.lock), '99999999\n');
    lockState(directory);
    unlockState(directory);
    lockState(directory);
  });

  it('names a corrupt state file', () => {
    writeFileSync(join(directory, StateFile.executions), '{ not json');

    expect(() => readState(directory, StateFile.executions)).toThrow(/executions\.json is not valid JSON/);
  });
});
