import { describe, expect, it } from 'vitest';
import { readSample } from '../../../events/samples.ts';
import { parseCommandLine, parseFault, usageText } from '../../../cli/args.ts';
import { runCommand } from '../../../cli/commands.ts';
import { deadLetterView, listDeadLetters, redriveDeadLetters } from '../../../cli/dead-letters.ts';
import { ExitCode, InputError, UsageError } from '../../../cli/exit-codes.ts';
import type { DeadLetter, RedrivenLetter, SendResult } from '../../../local/runtime/api.ts';
import { fakeContext } from './cli.fixture.ts';

const sample = readSample('onboarding-premium');
const letter: DeadLetter = {
  id: 'letter-1',
  at: '2026-11-20T10:00:05.000Z',
  rule: 'start-onboarding',
  errorCode: 'THROTTLING',
  errorMessage: 'ThrottlingException: Rate exceeded',
  attempts: 4,
  event: sample,
};

/** A fake runtime with a dead-letter queue whose redrive answers `results`. */
function contextWithQueue(letters: DeadLetter[], results: SendResult[] = []) {
  const context = fakeContext();
  const queue = [...letters];
  context.runtime.deadLetters = () => [...queue];
  context.runtime.redriveDeadLetters = async (options = {}): Promise<RedrivenLetter[]> => {
    context.runtime.calls.push(`redrive-dead-letters wait=${options.wait ?? false}`);
    return queue
      .splice(0)
      .map((queued, index) => ({ deadLetterId: queued.id, result: results[index] ?? { replies: [] } }));
  };
  return context;
}

describe('parsing', () => {
  it('reads dead-letters, its --redrive and --no-wait, and redrive EXECUTION', () => {
    expect(parseCommandLine(['dead-letters'])).toEqual({
      kind: 'dead-letters',
      redrive: false,
      wait: true,
      json: false,
      verbose: false,
    });
    expect(parseCommandLine(['dead-letters', '--redrive', '--no-wait', '--json'])).toEqual({
      kind: 'dead-letters',
      redrive: true,
      wait: false,
      json: true,
      verbose: false,
    });
    expect(parseCommandLine(['redrive', 'onboarding-1'])).toMatchObject({
      kind: 'redrive',
      execution: 'onboarding-1',
      wait: true,
    });
    expect(() => parseCommandLine(['tenants', '--redrive'])).toThrow(/tenants does not take --redrive/);
    expect(() => parseCommandLine(['redrive'])).toThrow(/redrive needs exactly one EXECUTION/);
  });

  it('reads fault kinds in --fail', () => {
    expect(parseFault('CreateTenantStacks:timeout-after')).toEqual({
      step: 'CreateTenantStacks',
      kind: 'timeout-after',
    });
    expect(parseFault('CloudFormation:CreateStack:throttling')).toEqual({
      service: 'CloudFormation',
      operation: 'CreateStack',
      kind: 'throttling',
    });
    expect(parseFault('ECS:DescribeServices:server')).toEqual({
      service: 'ECS',
      operation: 'DescribeServices',
      kind: 'server',
    });
    expect(() => parseFault('CloudFormation:CreateStack:sometimes')).toThrow(UsageError);
    expect(() => parseFault('CreateTenantStacks:timeout')).not.toThrow(); // Service:Operation shape: the runtime judges it
  });

  it('documents the new commands and fault kinds', () => {
    const text = usageText('npm -s start --');

    expect(text).toContain('  dead-letters [--redrive]');
    expect(text).toContain('  redrive EXECUTION');
    expect(text).toContain('--fail STATE:timeout-after');
    expect(text).toContain('--fail SERVICE:OPERATION:KIND');
  });
});

describe('dead-letters', () => {
  it('lists each dead letter with its request, tenant, registration and error, and says how to redrive', async () => {
    const context = contextWithQueue([letter]);

    expect(await listDeadLetters(context, false)).toBe(ExitCode.ok);

    const text = context.captured.text();
    expect(text).toMatch(
      /sbt_aws_onboardingRequest\s+2f1c9d3e\s+\S+\s+THROTTLING: ThrottlingException: Rate exceeded\s+4/,
    );
    expect(text).toContain('start them again with: npm -s start -- dead-letters --redrive');
  });

  it('--json prints the whole letter, event included (the real output hides e-mail addresses on every line)', async () => {
    const context = contextWithQueue([letter]);

    await listDeadLetters(context, true);

    const document = JSON.parse(context.captured.text()) as { deadLetters: ReturnType<typeof deadLetterView>[] };
    expect(document.deadLetters).toEqual([deadLetterView(letter)]);
    expect(document.deadLetters[0]).toMatchObject({
      tenantRegistrationId: sample.detail.tenantRegistrationId,
      eventTime: sample.time,
    });
  });

  it('says so when the queue is empty', async () => {
    const context = contextWithQueue([]);

    await listDeadLetters(context, false);

    expect(context.captured.text()).toContain('no dead letters');
  });

  it('is an input error on a runtime without a queue', async () => {
    await expect(
      runCommand(fakeContext(), { kind: 'dead-letters', redrive: false, wait: true, json: false, verbose: false }),
    ).rejects.toThrow(InputError);
  });
});

describe('dead-letters --redrive', () => {
  it('redrives, waits, reports each started workflow and exits 0 when all succeeded', async () => {
    const results: SendResult[] = [];
    const context = contextWithQueue([letter], results);
    results.push(await context.runtime.send(sample, { wait: true }));
    context.runtime.calls.length = 0;

    const code = await redriveDeadLetters(context, { wait: true, json: false });

    expect(code).toBe(ExitCode.ok);
    expect(context.runtime.calls).toEqual(['redrive-dead-letters wait=true']);
    expect(context.captured.text()).toContain('✓ onboarding of acme succeeded');
  });

  it('exits 1 when a request was refused again and is back in the queue', async () => {
    const context = contextWithQueue([letter], [{ workflow: 'onboarding', delivery: 'dead-lettered', replies: [] }]);

    const code = await redriveDeadLetters(context, { wait: true, json: true });

    expect(code).toBe(ExitCode.workflowFailure);
    expect(JSON.parse(context.captured.text())).toEqual({
      ok: false,
      redriven: [
        { deadLetterId: 'letter-1', workflow: 'onboarding', delivery: 'dead-lettered', execution: null, replies: [] },
      ],
    });
  });

  it('reports a request whose workflow had started after all as already started, not as succeeded', async () => {
    const results: SendResult[] = [];
    const context = contextWithQueue([letter], results);
    const started = await context.runtime.send(sample, { wait: true });
    results.push({ ...started, admission: 'duplicate', replies: [] });
    context.captured.stdout.length = 0;

    expect(await redriveDeadLetters(context, { wait: true, json: false })).toBe(ExitCode.ok);

    const text = context.captured.text();
    expect(text).toContain(
      `› onboarding request letter-1: already started as execution ${started.execution?.name} (SUCCEEDED); removed from the queue`,
    );
    expect(text).not.toContain('succeeded');
  });

  it('with nothing to redrive says so', async () => {
    const context = contextWithQueue([]);

    expect(await redriveDeadLetters(context, { wait: true, json: false })).toBe(ExitCode.ok);
    expect(context.captured.text()).toContain('no dead letters to redrive');
  });
});

describe('a send whose workflow start was refused', () => {
  it('dead-lettered: exits 1 and says where the request waits and how to redrive it', async () => {
    const context = fakeContext();
    context.runtime.send = async () => ({ workflow: 'onboarding', delivery: 'dead-lettered', replies: [] });

    const code = await runCommand(context, {
      kind: 'send',
      file: 'events/samples/onboarding-premium.json',
      wait: true,
      json: false,
      faults: [],
      verbose: false,
    });

    expect(code).toBe(ExitCode.workflowFailure);
    expect(context.captured.text()).toContain('the onboarding workflow could not be started');
    expect(context.captured.text()).toContain('start it again with: npm -s start -- dead-letters --redrive');
  });

  it('still being retried (not waited for): exits 0; --json says so in `delivery`', async () => {
    const context = fakeContext();
    context.runtime.send = async () => ({ workflow: 'onboarding', delivery: 'retrying', replies: [] });

    const code = await runCommand(context, {
      kind: 'send',
      file: 'events/samples/onboarding-premium.json',
      wait: false,
      json: true,
      faults: [],
      verbose: false,
    });

    expect(code).toBe(ExitCode.ok);
    expect(JSON.parse(context.captured.text())).toEqual({
      ok: true,
      workflow: 'onboarding',
      execution: null,
      delivery: 'retrying',
      replies: [],
    });
  });
});

describe('redrive EXECUTION', () => {
  it('redrives a failed execution and reports it like a send', async () => {
    const context = fakeContext();
    context.runtime.failAt = 'CreateTenantStacks';
    const { execution } = await context.runtime.send(sample, { wait: true });
    context.runtime.failAt = undefined;
    context.runtime.redrive = async (executionArn) => ({
      ...(context.runtime.execution(executionArn) ?? execution!),
      status: 'SUCCEEDED',
      redriveCount: 1,
    });

    const code = await runCommand(context, {
      kind: 'redrive',
      execution: execution?.name ?? '',
      wait: true,
      json: false,
      faults: [],
      verbose: false,
    });

    expect(code).toBe(ExitCode.ok);
    expect(context.captured.text()).toContain(`redrove ${execution?.name ?? ''} from CreateTenantStacks (redrive 1)`);
  });

  it('refuses an execution that did not fail, and a runtime that cannot redrive', async () => {
    const context = fakeContext();
    const { execution } = await context.runtime.send(sample, { wait: true });

    await expect(
      runCommand(context, {
        kind: 'redrive',
        execution: execution?.name ?? '',
        wait: true,
        json: false,
        faults: [],
        verbose: false,
      }),
    ).rejects.toThrow(/only a failed execution can be redriven/);
    context.runtime.failAt = 'CreateTenantStacks';
    const failed = await context.runtime.send(sample, { wait: true });
    await expect(
      runCommand(context, {
        kind: 'redrive',
        execution: failed.execution?.name ?? '',
        wait: true,
        json: false,
        faults: [],
        verbose: false,
      }),
    ).rejects.toThrow(/cannot redrive/);
  });
});
