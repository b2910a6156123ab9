/**
 * Where a run's files go. Only a full run (every section at its default size) may replace the
 * committed summary and plot in bench/results; a quick or partial run writes the same files to
 * the benchmark's cache folder, so trying a change never overwrites the figures people read.
 */
import { join } from 'node:path';
import type { BenchResults } from './results.ts';

/** The files a run writes, by name. */
export interface OutputFiles {
  readonly latestJson: string;
  readonly summaryMarkdown: string;
  readonly scaleSvg: string;
  /** Whether these are the committed results (bench/results). */
  readonly committed: boolean;
}

/** bench/results for a full run, `<workDirectory>/results` for any other. */
export function outputFiles(mode: BenchResults['mode'], projectRoot: string, workDirectory: string): OutputFiles {
  const committed = mode === 'full';
  const directory = committed ? join(projectRoot, 'bench', 'results') : join(workDirectory, 'results');
  return {
    latestJson: join(directory, 'latest.json'),
    summaryMarkdown: join(directory, 'summary.md'),
    scaleSvg: join(directory, 'scale.svg'),
    committed,
  };
}
