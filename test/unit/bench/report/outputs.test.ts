import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { outputFiles, outputNotice, runMode } from '../../../../bench/report/outputs.ts';

describe('outputFiles', () => {
  const root = '/repo';
  const cache = '/repo/node_modules/.cache/bench';
  const committedSummary = join(root, 'bench', 'results', 'summary.md');

  it('lets a full run replace the committed summary and plot', () => {
    const files = outputFiles('full', root, cache);

    expect(files).toMatchObject({ committed: true, summaryMarkdown: committedSummary });
    expect(files.scaleSvg).toBe(join(root, 'bench', 'results', 'scale.svg'));
  });

  it.each(['quick', 'partial'] as const)('sends a %s run to the cache, never to bench/results', (mode) => {
    const files = outputFiles(mode, root, cache);

    expect(files.committed).toBe(false);
    for (const path of [files.summaryMarkdown, files.scaleSvg, files.latestJson]) {
      expect(path.startsWith(join(cache, 'results'))).toBe(true);
      expect(path.startsWith(join(root, 'bench', 'results'))).toBe(false);
    }
  });
});

describe('runMode', () => {
  it('is full only for the run without options', () => {
    expect(runMode({})).toBe('full');
    expect(runMode({ quick: false })).toBe('full');
  });

  it('is quick with --quick, whatever else is given', () => {
    expect(runMode({ quick: true })).toBe('quick');
    expect(runMode({ quick: true, sections: 'cost' })).toBe('quick');
  });

  it.each([
    ['a section skipped', { sections: 'cost,overhead' }],
    ['every section named', { sections: 'cost,overhead,cold-start,scale,time-to-ready' }],
    ['other sizes', { sizes: '10,100' }],
    ['other runs', { runs: '5' }],
    ['other loads', { loads: '2' }],
    ['another deadline', { deadline: '60' }],
  ])('is partial with %s, so it cannot replace the committed summary', (_, options) => {
    const mode = runMode(options);

    expect(mode).toBe('partial');
    expect(outputFiles(mode, '/repo', '/repo/node_modules/.cache/bench').committed).toBe(false);
  });
});

describe('outputNotice', () => {
  const root = '/repo';
  const cache = '/repo/node_modules/.cache/bench';
  const committed = join(root, 'bench', 'results', 'summary.md');

  it('tells a quick run where it wrote and that the committed summary is untouched', () => {
    const notice = outputNotice('quick', outputFiles('quick', root, cache), committed);

    expect(notice).toBe(
      `A quick run: wrote ${join(cache, 'results', 'summary.md')}; ${committed} is left as it was (only a full run replaces it).`,
    );
  });

  it('tells a full run it wrote the committed summary', () => {
    expect(outputNotice('full', outputFiles('full', root, cache), committed)).toContain(`wrote ${committed}`);
  });
});
