/**
 * Where a run's files go. Only a full run (every section at its default size) may replace the
 * committed summary and plot in bench/results; a quick or partial run writes the same files to
 * the benchmark's cache folder, so trying a change never overwrites the figures people read.
 */
import { join } from 'node:path';
import type { BenchResults } from './results.ts';

/** The command-line options that decide what a run covers. */
export interface RunOptions {
  readonly quick?: boolean;
  readonly sections?: string;
  readonly sizes?: string;
  readonly runs?: string;
  readonly loads?: string;
  readonly deadline?: string;
}

/**
 * `full` only when nothing was narrowed or shrunk: every section at its default size. Any option
 * that skips a section or changes a sample makes the run `partial` (`quick` with --quick), even
 * when it lists every section, so only the default run can replace the committed summary.
 */
export function runMode(options: RunOptions): BenchResults['mode'] {
  if (options.quick) return 'quick';
  const narrowed = [options.sections, options.sizes, options.runs, options.loads, options.deadline].some(
    (value) => value !== undefined,
  );
  return narrowed ? 'partial' : 'full';
}

/** What the run says about where it wrote, so a quick run is never mistaken for the committed figures. */
export function outputNotice(mode: BenchResults['mode'], files: OutputFiles, committedSummary: string): string {
  return files.committed
    ? `A full run: wrote ${files.summaryMarkdown} (commit it with the change that moved the figures).`
    : `A ${mode} run: wrote ${files.summaryMarkdown}; ${committedSummary} is left as it was (only a full run replaces it).`;
}

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
