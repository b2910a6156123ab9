import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { outputFiles } from '../../../../bench/report/outputs.ts';

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
