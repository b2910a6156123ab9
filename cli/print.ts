/**
 * Writing listings: JSON documents and titled tables, through the context's output.
 */
import type { CliContext } from './context.ts';
import { table } from './format.ts';

/** One JSON document on stdout, nothing else (`--json`). */
export function printJson(context: Pick<CliContext, 'output'>, value: unknown): void {
  context.output.line(JSON.stringify(value, null, 2));
}

/** A table, or a dimmed note when there is nothing to show. */
export function printTable(
  context: Pick<CliContext, 'output'>,
  headers: readonly string[],
  rows: readonly string[][],
  empty: string,
): void {
  if (rows.length === 0) {
    context.output.line(context.output.paint('dim', empty));
    return;
  }
  for (const line of table(headers, rows, context.output.paint)) context.output.line(line);
}

/** A heading with a count, then the table (or "none"). */
export function printSection(
  context: Pick<CliContext, 'output'>,
  title: string,
  headers: readonly string[],
  rows: readonly string[][],
): void {
  context.output.line(context.output.paint('bold', `${title} (${rows.length})`));
  printTable(context, headers, rows, '  none');
}
