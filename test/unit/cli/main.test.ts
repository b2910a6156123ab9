/**
 * cli/main.ts as a process: `--no-wait` answers once the execution started and leaves a background
 * process to finish it and save the state; the next command that changes state waits for it. That
 * the foreground returns before the workflow ends is shown without wall-clock windows by
 * background.test.ts and run.test.ts; this test shows the real wiring (IPC, tsx, detach) works.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExecutionView } from '../../../cli/views.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const binDirectory = join(root, 'node_modules', '.bin');
const stateFolder = mkdtempSync(join(tmpdir(), 'cli-main-'));
const childTimeoutMs = 60_000;

afterAll(() => {
  rmSync(stateFolder, { recursive: true, force: true });
});

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `tsx cli/main.ts ARGS` with only what a user's shell would have, plus the state folder. */
function runCli(args: readonly string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = {
    PATH: `${binDirectory}${delimiter}${process.env.PATH ?? ''}`,
    HOME: process.env.HOME ?? tmpdir(),
    TENANT_ORCHESTRATOR_STATE: stateFolder,
  };
  return new Promise((resolve) => {
    execFile(
      join(binDirectory, 'tsx'),
      ['cli/main.ts', ...args],
      { cwd: root, env, timeout: childTimeoutMs },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      },
    );
  });
}

const transcript = (run: Run) => `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;

describe('--no-wait as a process', () => {
  it(
    'answers with the RUNNING execution; the background process finishes it and the next command waits for it',
    async () => {
      const started = await runCli(['onboard', '--tenant', 'later', '--tier', 'basic', '--no-wait', '--json']);
      expect(started.code, transcript(started)).toBe(0);
      const { execution } = JSON.parse(started.stdout) as { execution: ExecutionView };
      // Answered at the start: the foreground did not wait for the workflow.
      expect(execution.status).toBe('RUNNING');

      // A command that changes state takes the folder only once the background process saved it.
      const offboarded = await runCli(['offboard', '--tenant', 'later', '--json']);
      expect(offboarded.code, transcript(offboarded)).toBe(0);

      const listed = await runCli(['executions', '--json']);
      const { executions } = JSON.parse(listed.stdout) as { executions: ExecutionView[] };
      expect(executions.map((view) => [view.name, view.workflow, view.status])).toEqual([
        [execution.name, 'onboarding', 'SUCCEEDED'],
        [expect.any(String), 'offboarding', 'SUCCEEDED'],
      ]);
      expect(listed.stderr, transcript(listed)).not.toContain('still running');
    },
    4 * childTimeoutMs,
  );
});
