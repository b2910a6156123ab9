/**
 * The command line on the real embedded runtime (in this process, one runtime at a time): the
 * state folder held by another process, and the failure paths `--fail` rehearses.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../../cli/exit-codes.ts';
import { runCli, type CliDependencies } from '../../../cli/run.ts';
import { openLocalRuntime, stateFolderHolder } from '../../../local/runtime/runtime.ts';

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function stateFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'cli-local-runtime-'));
  folders.push(folder);
  return folder;
}

/** Runs the command line in this process on `folder`; the state-folder wait is a fake clock (no time passes). */
async function cli(folder: string, argv: readonly string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  let now = 0;
  const dependencies: CliDependencies = {
    openRuntime: (options) =>
      openLocalRuntime({ ...options, timings: { createMs: 1, deleteMs: 1, startMs: 1, waitMs: 1 } }),
    stateFolderHolder,
    stateFolderWait: {
      timeoutMs: 30_000,
      pollMs: 250,
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    },
    startInBackground: async () => {
      throw new Error('not in this test');
    },
    redriveAws: async () => {
      throw new Error('not in this test');
    },
    runAws: async () => {
      throw new Error('not in this test');
    },
  };
  const code = await runCli(
    argv,
    {
      stdout: { write: (text: string) => stdout.push(text), isTTY: false },
      stderr: { write: (text: string) => stderr.push(text), isTTY: false },
      env: { TENANT_ORCHESTRATOR_STATE: folder },
      cwd: folder,
    },
    dependencies,
  );
  return { code, stdout: stdout.join(''), stderr: stderr.join('') };
}

describe('the state folder held by another process', () => {
  it('a command that changes state gives up after the wait in one line, exit 2; a listing answers read-only', async () => {
    const folder = stateFolder();
    expect((await cli(folder, ['onboard', '--tenant', 'acme', '--tier', 'basic'])).code).toBe(ExitCode.ok);
    // The parent process (vitest's) is alive and is not this one: it stands for a command still running.
    writeFileSync(join(folder, 'lock'), `${process.ppid}\n`);
    const saved = readFileSync(join(folder, 'executions.json'), 'utf8');

    const refused = await cli(folder, ['onboard', '--tenant', 'beta', '--tier', 'basic']);
    expect(refused.code).toBe(ExitCode.usage);
    expect(refused.stdout).toBe('');
    expect(refused.stderr.trimEnd().split('\n')).toEqual([
      `waiting for process ${process.ppid} to finish with the state folder ${folder} (up to 30 s)...`,
      `error: the state folder ${folder} is still in use by process ${process.ppid} after 30 s; run the command again once it has finished`,
    ]);

    const listed = await cli(folder, ['tenants']);
    expect(listed.code).toBe(ExitCode.ok);
    expect(listed.stdout).toMatch(/acme +basic +pool +ACTIVE/);
    expect(listed.stderr).toContain(`note: process ${process.ppid} is still running a command on ${folder}`);
    // Read-only: the holder's lock and the saved state are left as they were.
    expect(readFileSync(join(folder, 'lock'), 'utf8')).toBe(`${process.ppid}\n`);
    expect(readFileSync(join(folder, 'executions.json'), 'utf8')).toBe(saved);
  }, 120_000);

  it('a listing of a folder nobody holds takes no lock and writes nothing', async () => {
    const folder = stateFolder();
    const listed = await cli(folder, ['executions', '--json']);
    expect(listed.code).toBe(ExitCode.ok);
    expect(JSON.parse(listed.stdout)).toEqual({ executions: [] });
    expect(listed.stderr).toBe('');
    expect(existsSync(join(folder, 'lock'))).toBe(false);
    expect(existsSync(join(folder, 'executions.json'))).toBe(false);
  }, 60_000);
});

describe('--fail on the real runtime', () => {
  it('StepFunctions:StartExecution reaches the dead-letter path, and dead-letters --redrive starts it', async () => {
    const folder = stateFolder();
    const refused = await cli(folder, [
      'onboard',
      '--tenant',
      'acme',
      '--tier',
      'basic',
      '--fail',
      'StepFunctions:StartExecution',
    ]);
    expect(refused.code).toBe(ExitCode.workflowFailure);
    expect(refused.stdout).toContain(
      '✗ the onboarding workflow could not be started (Step Functions refused it after every retry)',
    );
    const letters = await cli(folder, ['dead-letters', '--json']);
    expect((JSON.parse(letters.stdout) as { deadLetters: unknown[] }).deadLetters).toHaveLength(1);
    const redriven = await cli(folder, ['dead-letters', '--redrive']);
    expect(redriven.code).toBe(ExitCode.ok);
    expect(redriven.stdout).toMatch(/^✓ onboarding of acme succeeded in /m);
  }, 120_000);

  it('EventBridge:PutEvents: the reply and the failure reporter fail, and the outcome says why no reply was sent', async () => {
    const folder = stateFolder();
    const run = await cli(folder, [
      'onboard',
      '--tenant',
      'acme',
      '--tier',
      'basic',
      '--fail',
      'EventBridge:PutEvents',
    ]);
    expect(run.code).toBe(ExitCode.workflowFailure);
    expect(run.stdout).toContain('✗ onboarding of acme FAILED at SendProvisionSuccess (InjectedFault)');
    expect(run.stdout).toContain(
      'no reply was sent: the failure reporter failed (InjectedFault: Injected by --fail EventBridge:PutEvents)',
    );
    // Without a terminal: no state lines, one line for the outcome.
    expect(run.stdout).not.toMatch(/ entered$/m);

    // A replay recovers the failed reply step: the operation is found done and only the reply is sent.
    const failed = /replay it: npx tenant-orchestrator replay (\S+)/.exec(run.stdout)?.[1] ?? '';
    const replayed = await cli(folder, ['replay', failed]);
    expect(replayed.code).toBe(ExitCode.ok);
    expect(replayed.stdout).toMatch(
      /^✓ onboarding of acme already done in \S+: the request had been carried out, so its success reply was sent again/m,
    );
    expect(replayed.stdout).toContain('reply sbt_aws_provisionSuccess created');
  }, 120_000);
});
