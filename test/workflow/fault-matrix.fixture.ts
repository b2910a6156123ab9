/**
 * What the fault matrices share (test/workflow/fault-matrix.test.ts for the request workflows,
 * fault-matrix-rollout.test.ts for the rollout): the transient retry budget, which retries an
 * execution made at a state, and the step x fault table printed after a run.
 */
import type { EmbeddedRuntime } from '../../local/runtime/api.ts';

/** Attempts of a step before TransientAwsError fails it: the first and MaxAttempts 6 retries. */
export const transientBudget = 7;

/** Retries the execution made at the state, by error name. */
export function retriesAt(runtime: EmbeddedRuntime, executionArn: string, state: string): string[] {
  // Each retry follows the attempt's StateFailed, which names the error.
  return runtime
    .history(executionArn)
    .filter((entry) => entry.type === 'StateFailed' && entry.state === state)
    .map((entry) => entry.error ?? '?');
}

/** The outcomes of a matrix run, by row (a step) and column (a fault class), printed as a table. */
export class OutcomeTable {
  private readonly rows = new Map<string, Map<string, string[]>>();

  record(row: string, column: string, outcome: string): void {
    const cells = this.rows.get(row) ?? new Map<string, string[]>();
    cells.set(column, [...(cells.get(column) ?? []), outcome]);
    this.rows.set(row, cells);
  }

  /** The table under `title`, one line per row, `-` where a fault class does not apply. */
  format(title: string, columns: readonly string[]): string {
    const rows = [...this.rows.entries()].map(([row, cells]) => [
      row,
      ...columns.map((column) => cells.get(column)?.join('; ') ?? '-'),
    ]);
    const header = ['step', ...columns];
    const widths = header.map((heading, index) =>
      Math.max(heading.length, ...rows.map((row) => (row[index] ?? '').length)),
    );
    const line = (cells: readonly string[]) => cells.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join(' | ');
    return [title, line(header), widths.map((width) => '-'.repeat(width)).join('-|-'), ...rows.map(line)].join('\n');
  }
}
