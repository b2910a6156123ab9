import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { synthesizedTemplates } from '../../../../local/cloud/template-source.ts';

let directory: string;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'tenant-templates-'));
});

afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

function fakeTemplate(model: string, version: string) {
  return { Description: `${model} ${version}`, Resources: {} };
}

describe('synthesizedTemplates', () => {
  it('synthesizes each model and version once, however often a stack asks', () => {
    const synthesize = vi.fn(fakeTemplate);
    const source = synthesizedTemplates({ synthesize, cacheDirectory: false });

    source('silo-cluster', '1.0.0');
    source('silo-cluster', '1.0.0');
    source('silo-services', '1.0.0');
    const second = source('silo-cluster', '1.1.0');

    expect(synthesize.mock.calls).toEqual([
      ['silo-cluster', '1.0.0'],
      ['silo-services', '1.0.0'],
      ['silo-cluster', '1.1.0'],
    ]);
    expect(second).toEqual(fakeTemplate('silo-cluster', '1.1.0'));
  });

  it('reads a template another process kept on disk instead of synthesizing it again', () => {
    synthesizedTemplates({ synthesize: fakeTemplate, cacheDirectory: directory })('silo-cluster', '1.0.0');
    const synthesize = vi.fn(fakeTemplate);

    const template = synthesizedTemplates({ synthesize, cacheDirectory: directory })('silo-cluster', '1.0.0');

    expect(synthesize).not.toHaveBeenCalled();
    expect(template).toEqual(fakeTemplate('silo-cluster', '1.0.0'));
  });

  it('keeps templates under a digest of their sources and synthesizes again over a torn file', () => {
    synthesizedTemplates({ synthesize: fakeTemplate, cacheDirectory: directory })('silo-services', '1.0.0');
    const [digest] = readdirSync(directory);
    expect(digest).toMatch(/^[0-9a-f]{16}$/);
    expect(readdirSync(join(directory, digest ?? ''))).toEqual(['silo-services-1.0.0.json']);
    writeFileSync(join(directory, digest ?? '', 'silo-services-1.0.0.json'), '{"Resour');
    const synthesize = vi.fn(fakeTemplate);

    const template = synthesizedTemplates({ synthesize, cacheDirectory: directory })('silo-services', '1.0.0');

    expect(synthesize).toHaveBeenCalledTimes(1);
    expect(template).toEqual(fakeTemplate('silo-services', '1.0.0'));
  });

  it('leaves the disk alone for a synthesizer of the caller unless told where to keep templates', () => {
    const synthesize = vi.fn(fakeTemplate);

    synthesizedTemplates({ synthesize })('silo-cluster', '1.0.0');
    synthesizedTemplates({ synthesize })('silo-cluster', '1.0.0');

    expect(synthesize).toHaveBeenCalledTimes(2);
  });
});
