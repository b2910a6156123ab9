/**
 * Exit codes of the command line and the errors that map to them. Scripts rely on these
 * numbers, so they are documented in the usage text and never change meaning.
 */

/** The process exit codes (documented in the usage text). */
export const ExitCode = {
  /** The command did what was asked; a workflow it waited for succeeded. */
  ok: 0,
  /** A workflow failed or the control plane got a failure reply; or reconcile found a difference. */
  workflowFailure: 1,
  /** Bad arguments, or input the command cannot use (missing file, invalid JSON, unknown execution). */
  usage: 2,
  /** Anything unexpected (a bug, or the local runtime could not start). */
  internal: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Bad command-line arguments: the usage text is shown with the message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Arguments were well formed but point at something unusable (a missing file, an unknown execution). */
export class InputError extends Error {
  override readonly name = 'InputError';
}
