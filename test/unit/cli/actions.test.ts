import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSample } from '../../../events/samples.ts';
import { injectFaults, offboard, onboard, replay, sendEvent, sendFile, taskStateNames } from '../../../cli/actions.ts';
import { ExitCode, InputError } from '../../../cli/exit-codes.ts';
import { fakeContext } from './cli.fixture.ts';

const waitOptions = { wait: true, json: false, faults: [], verbose: false };
const folder = mkdtempSync(join(tmpdir(), 'cli-actions-'));

describe('taskStateNames and injectFaults', () => {
  it('lists the task states of both workflows', () => {
    const names = taskStateNames();
    expect(names).toEqual(
      expect.arrayContaining([
        'AcceptOnboardingRequest',
        'CreateTenantStacks',
        'DeleteTenantStacks',
        'SendProvisionSuccess',
      ]),
    );
    // The waits between two looks are callback Tasks (functions/await-change): a fault can hit them too.
    expect(names).toContain('WaitForTenantStacks');
    expect(names).not.toContain('AreTenantStacksReady');
  });

  it('arms each fault on the runtime', () => {
    const context = fakeContext();
    injectFaults(context, [{ step: 'CreateTenantStacks' }, { service: 'CloudFormation', operation: 'CreateStack' }]);
    expect(context.runtime.faults).toEqual([
      { step: 'CreateTenantStacks' },
      { service: 'CloudFormation', operation: 'CreateStack' },
    ]);
  });

  it('refuses a state no workflow has, naming the ones it has', () => {
    const context = fakeContext();
    expect(() => injectFaults(context, [{ step: 'CreateStacks' }])).toThrow(InputError);
    expect(() => injectFaults(context, [{ step: 'CreateStacks' }])).toThrow(/task states: .*CreateTenantStacks/);
    expect(context.runtime.faults).toEqual([]);
  });

  it('turns a fault the runtime rejects into an input error', () => {
    const context = fakeContext();
    context.runtime.injectFault = () => {
      throw new Error('unknown service Lambdaa');
    };
    expect(() => injectFaults(context, [{ service: 'Lambdaa', operation: 'Invoke' }])).toThrow(
      new InputError('--fail Lambdaa:Invoke: unknown service Lambdaa'),
    );
  });
});

describe('sendEvent', () => {
  it('waits, shows progress with --verbose, reports success and the reply, exit 0', async () => {
    const context = fakeContext(undefined, undefined, { verbose: true });
    context.tenantNames.set('7d3f2a10-5b6c-4d8e-9f01-23456789abcd', 'globex');
    const code = await sendEvent(context, readSample('onboarding-basic'), waitOptions);
    expect(code).toBe(ExitCode.ok);
    expect(context.runtime.calls).toEqual(['send wait=true']);
    const text = context.captured.text();
    expect(text).toMatch(/^\d\d:\d\d:\d\d globex onboarding AcceptOnboardingRequest entered$/m);
    expect(text).toContain('✓ onboarding of globex succeeded in 700ms, 3 steps (execution onboarding-1)');
    expect(text).toContain(
      'reply sbt_aws_provisionSuccess created: tier=basic isolation=pool route=X-Tenant-Id: 7d3f2a10-5b6c-4d8e-9f01-23456789abcd',
    );
  });

  it('exits 1 on a failure reply and prints the failed step, the reason and how to replay', async () => {
    const context = fakeContext();
    context.runtime.failAt = 'CreateTenantStacks';
    const code = await sendEvent(context, readSample('onboarding-premium'), waitOptions);
    expect(code).toBe(ExitCode.workflowFailure);
    const text = context.captured.text();
    expect(text).toContain(
      '✗ onboarding of 2f1c9d3e FAILED at CreateTenantStacks (StackCreationFailed): stack tenant-x: ROLLBACK_COMPLETE',
    );
    expect(text).toContain(
      'reply sbt_aws_provisionFailure failed: failed at CreateTenantStacks (StackCreationFailed): Stack tenant-x could not be created: ROLLBACK_COMPLETE',
    );
    expect(text).toContain('after fixing the cause, replay it: npm -s start -- replay onboarding-1');
  });

  it('exits 1 when the execution succeeded but the reply is a failure', async () => {
    const context = fakeContext();
    context.runtime.send = async () => ({
      workflow: 'onboarding',
      execution: {
        executionArn: 'arn:e',
        name: 'e',
        workflow: 'onboarding',
        status: 'SUCCEEDED',
        startedAt: '2026-11-20T10:00:00Z',
        stoppedAt: '2026-11-20T10:00:01Z',
        transitions: 3,
      },
      replies: [
        {
          receivedAt: '2026-11-20T10:00:01Z',
          source: 's',
          detailType: 'sbt_aws_provisionFailure',
          detail: {
            jobOutput: {
              tenantData: {},
              tenantRegistrationData: {
                registrationStatus: 'failed',
                failureReason: 'Invalid onboarding request: detail.tenantRegistrationId: is required',
                failedStep: 'AcceptOnboardingRequest',
              },
            },
          },
        },
      ],
    });
    expect(await sendEvent(context, {}, waitOptions)).toBe(ExitCode.workflowFailure);
    expect(context.captured.text()).toContain(
      'failed at AcceptOnboardingRequest (error): Invalid onboarding request: detail.tenantRegistrationId: is required',
    );
  });

  it('with --no-wait only starts the execution and exits 0 whatever happens later', async () => {
    const context = fakeContext();
    context.runtime.failAt = 'CreateTenantStacks';
    const code = await sendEvent(context, readSample('onboarding-basic'), { ...waitOptions, wait: false });
    expect(code).toBe(ExitCode.ok);
    expect(context.runtime.calls).toEqual(['send wait=false']);
    expect(context.captured.text()).toBe('started onboarding execution onboarding-1\n');
  });

  it('with --json prints one JSON document and nothing else', async () => {
    const context = fakeContext();
    context.runtime.failAt = 'CreateTenantStacks';
    const code = await sendEvent(context, readSample('onboarding-basic'), { ...waitOptions, json: true });
    expect(code).toBe(ExitCode.workflowFailure);
    const document = JSON.parse(context.captured.text());
    expect(Object.keys(document)).toEqual(['ok', 'workflow', 'execution', 'replies']);
    expect(document).toMatchObject({
      ok: false,
      workflow: 'onboarding',
      execution: { status: 'FAILED', failedState: 'CreateTenantStacks' },
    });
    expect(document.replies[0]).toMatchObject({ detailType: 'sbt_aws_provisionFailure', outcome: 'failure' });
  });

  it('injects the faults before sending', async () => {
    const context = fakeContext();
    await sendEvent(context, readSample('onboarding-basic'), {
      ...waitOptions,
      faults: [{ step: 'ActivateTenant' }],
    });
    expect(context.runtime.calls).toEqual(['inject {"step":"ActivateTenant"}', 'send wait=true']);
  });

  it('exits 2 when no workflow matched the event', async () => {
    const context = fakeContext();
    const code = await sendEvent(
      context,
      { source: 'sbt.application.plane', 'detail-type': 'sbt_aws_provisionSuccess', detail: {} },
      waitOptions,
    );
    expect(code).toBe(ExitCode.usage);
    expect(context.captured.errors()).toContain('no workflow matched this event');
  });
});

describe('sendFile', () => {
  it('sends the event in the file, labelled with its tenant name', async () => {
    const file = join(folder, 'onboarding.json');
    writeFileSync(file, JSON.stringify(readSample('onboarding-advanced')));
    const context = fakeContext();
    expect(await sendFile(context, file, waitOptions)).toBe(ExitCode.ok);
    expect(context.runtime.sent[0]).toEqual(readSample('onboarding-advanced'));
    expect(context.captured.text()).toContain('✓ onboarding of initech succeeded');
  });

  it('rejects a missing file and invalid JSON before anything is sent', async () => {
    const broken = join(folder, 'broken.json');
    writeFileSync(broken, '{');
    const context = fakeContext();
    await expect(sendFile(context, join(folder, 'nope.json'), waitOptions)).rejects.toThrow(/no such file/);
    await expect(sendFile(context, broken, waitOptions)).rejects.toThrow(/not valid JSON/);
    expect(context.runtime.sent).toEqual([]);
  });
});

describe('sendFile with an oversized field', () => {
  function fileWithTenantName(name: string, tenantName: string): string {
    const sample = readSample('onboarding-basic');
    const file = join(folder, name);
    writeFileSync(file, JSON.stringify({ ...sample, detail: { ...sample.detail, tenantName } }));
    return file;
  }

  it('refuses a 1 MB tenantName as EventBridge would, in one line, before anything is sent', async () => {
    const context = fakeContext();

    const sending = sendFile(context, fileWithTenantName('huge.json', 'a'.repeat(1024 * 1024)), waitOptions);

    await expect(sending).rejects.toThrow(InputError);
    await expect(sending).rejects.toThrow(
      /^the event is 1,048,\d{3} bytes: EventBridge takes at most 262,144 bytes per PutEvents entry/,
    );
    expect(context.runtime.sent).toEqual([]);
    expect(context.tenantNames.size).toBe(0);
  });

  it('labels a tenant by its id when its name is longer than the contract allows', async () => {
    const context = fakeContext();

    const code = await sendFile(context, fileWithTenantName('long-name.json', 'n'.repeat(100 * 1024)), waitOptions);

    expect(code).toBe(ExitCode.ok);
    expect(context.captured.text()).toContain('✓ onboarding of 7d3f2a10 succeeded');
    expect(context.captured.text()).not.toContain('nnn');
  });
});

describe('onboard', () => {
  it('sends a proper onboarding request with fresh ids, and never prints the e-mail', async () => {
    const context = fakeContext();
    const code = await onboard(context, { tenantName: 'acme', tier: 'premium' }, waitOptions);
    expect(code).toBe(ExitCode.ok);
    const event = context.runtime.sent[0] ?? { detail: {} };
    expect(event).toMatchObject({
      source: 'sbt.control.plane',
      'detail-type': 'sbt_aws_onboardingRequest',
      detail: {
        tenantId: '00000000-0000-4000-8000-000000000001',
        tenantRegistrationId: '00000000-0000-4000-8000-000000000002',
        tenantName: 'acme',
        tier: 'premium',
      },
    });
    expect(event.detail.email).toContain('@');
    expect(context.captured.text()).not.toContain('@');
    expect(context.captured.text()).toContain(
      'onboarding acme (tenant 00000000-0000-4000-8000-000000000001, tier premium)',
    );
  });

  it('uses the given tenant id', async () => {
    const context = fakeContext();
    await onboard(context, { tenantName: 'acme', tier: 'basic', tenantId: 'acme-1' }, waitOptions);
    expect(context.runtime.sent[0]?.detail.tenantId).toBe('acme-1');
  });
});

describe('offboard', () => {
  it('offboards by id with what the registry knows', async () => {
    const context = fakeContext();
    await onboard(context, { tenantName: 'acme', tier: 'premium', tenantId: 'acme-1' }, waitOptions);
    const code = await offboard(context, 'acme-1', waitOptions);
    expect(code).toBe(ExitCode.ok);
    expect(context.runtime.sent[1]).toMatchObject({
      'detail-type': 'sbt_aws_offboardingRequest',
      detail: { tenantId: 'acme-1', tenantName: 'acme', tier: 'premium' },
    });
    expect(context.runtime.sent[1]?.detail.tenantConfig).toBeTypeOf('string');
    expect(context.captured.text()).toContain('reply sbt_aws_deprovisionSuccess deleted: tenant removed');
  });

  it('accepts the name of exactly one live tenant', async () => {
    const context = fakeContext();
    await onboard(context, { tenantName: 'acme', tier: 'premium', tenantId: 'acme-1' }, waitOptions);
    await offboard(context, 'acme', waitOptions);
    expect(context.runtime.sent[1]?.detail.tenantId).toBe('acme-1');
  });

  it('sends an unknown tenant as is: the workflow answers it', async () => {
    const context = fakeContext();
    await offboard(context, 'ghost', waitOptions);
    expect(context.runtime.sent[0]?.detail).toMatchObject({ tenantId: 'ghost' });
  });

  it('refuses an ambiguous name, listing the ids of the tenants that have it, and sends nothing', async () => {
    const context = fakeContext();
    await onboard(context, { tenantName: 'acme', tier: 'premium', tenantId: 'acme-1' }, waitOptions);
    await onboard(context, { tenantName: 'acme', tier: 'basic', tenantId: 'acme-2' }, waitOptions);
    const attempt = offboard(context, 'acme', waitOptions);
    await expect(attempt).rejects.toThrow(InputError);
    await expect(attempt).rejects.toThrow(
      '2 tenants are named "acme"; offboard one by its id:\n  acme-1  ACTIVE\n  acme-2  ACTIVE',
    );
    expect(context.runtime.sent).toHaveLength(2);
  });

  it('prefers the one live tenant of a name to deleted ones', async () => {
    const context = fakeContext();
    await onboard(context, { tenantName: 'acme', tier: 'premium', tenantId: 'acme-old' }, waitOptions);
    await offboard(context, 'acme-old', waitOptions);
    await onboard(context, { tenantName: 'acme', tier: 'premium', tenantId: 'acme-new' }, waitOptions);
    await offboard(context, 'acme', waitOptions);
    expect(context.runtime.sent[3]?.detail.tenantId).toBe('acme-new');
  });

  it('refuses a blank --tenant', async () => {
    await expect(offboard(fakeContext(), '  ', waitOptions)).rejects.toThrow(InputError);
  });
});

describe('tenant names that are not plain text', () => {
  it('refuses a whitespace-only name before anything is sent', async () => {
    const context = fakeContext();
    const attempt = onboard(context, { tenantName: ' \t\n', tier: 'basic' }, waitOptions);
    await expect(attempt).rejects.toThrow(InputError);
    await expect(attempt).rejects.toThrow(
      '--tenant needs a name with a visible character, got " \\t\\n" (only blanks)',
    );
    expect(context.runtime.sent).toEqual([]);
  });

  it('prints control and escape characters of a name as escapes, and sends the name unchanged', async () => {
    const context = fakeContext();
    const name = 'evil\u001b[2J\nfake ✓ line';
    await onboard(context, { tenantName: name, tier: 'basic', tenantId: 't-1' }, waitOptions);
    const text = context.captured.text();
    expect(text).not.toContain('\u001b');
    expect(text).toContain('onboarding evil\\x1b[2J\\nfake ✓ line (tenant t-1, tier basic)');
    expect(text).toContain('✓ onboarding of evil\\x1b[2J\\nfake ✓ line succeeded');
    expect(context.runtime.sent[0]?.detail.tenantName).toBe(name);
  });
});

describe('outcomes that are not a success', () => {
  it('reports a duplicate request as such, not as succeeded, and does not expect a reply', async () => {
    const context = fakeContext();
    context.runtime.ending = 'duplicate';
    const code = await sendEvent(context, readSample('onboarding-basic'), waitOptions);
    expect(code).toBe(ExitCode.ok);
    const text = context.captured.text();
    expect(text).toMatch(
      /^› onboarding of 7d3f2a10 duplicate in \S+: another execution handles or handled this request/m,
    );
    expect(text).not.toContain('succeeded');
    expect(text).not.toContain('no reply reached');
  });

  it('reports a request already carried out as confirmed again', async () => {
    const context = fakeContext();
    context.runtime.ending = 'confirm';
    await sendEvent(context, readSample('onboarding-basic'), waitOptions);
    expect(context.captured.text()).toMatch(
      /^✓ onboarding of 7d3f2a10 already done in \S+: the request had been carried out, so its success reply was sent again/m,
    );
  });

  it('reports a superseded execution as such', async () => {
    const context = fakeContext();
    context.runtime.send = async () => ({
      workflow: 'onboarding',
      execution: {
        executionArn: 'arn:s',
        name: 's',
        workflow: 'onboarding',
        status: 'SUPERSEDED',
        startedAt: '2026-11-20T10:00:00Z',
        stoppedAt: '2026-11-20T10:00:01Z',
        transitions: 3,
      },
      replies: [],
    });
    expect(await sendEvent(context, {}, waitOptions)).toBe(ExitCode.ok);
    expect(context.captured.text()).toContain('› onboarding of an unnamed tenant superseded in 1.0s');
    expect(context.captured.text()).not.toContain('succeeded');
  });

  it('says why no reply was sent when the failure reporter failed too', async () => {
    const context = fakeContext();
    context.runtime.failAt = 'SendProvisionSuccess';
    context.runtime.reporterFails = 'InjectedFault: Injected by --fail EventBridge:PutEvents';
    const code = await sendEvent(context, readSample('onboarding-basic'), waitOptions);
    expect(code).toBe(ExitCode.workflowFailure);
    expect(context.captured.text()).toContain(
      'no reply was sent: the failure reporter failed (InjectedFault: Injected by --fail EventBridge:PutEvents)',
    );
    expect(context.captured.text()).not.toContain('no reply reached');
  });

  it('does not blame the reporter for a failure of an earlier command', async () => {
    const context = fakeContext();
    context.runtime.failAt = 'SendProvisionSuccess';
    context.runtime.reporterFails = 'InjectedFault: earlier';
    await sendEvent(context, readSample('onboarding-basic'), waitOptions);
    context.runtime.reporterFails = undefined;
    context.runtime.ending = 'duplicate';
    context.runtime.failAt = undefined;
    context.captured.stdout.length = 0;
    context.runtime.send = async () => ({
      workflow: 'onboarding',
      execution: {
        executionArn: 'arn:f',
        name: 'f',
        workflow: 'onboarding',
        status: 'FAILED',
        startedAt: '2026-11-20T10:00:00Z',
        stoppedAt: '2026-11-20T10:00:01Z',
        failedState: 'CreateTenantStacks',
        error: 'StackCreationFailed',
        transitions: 3,
      },
      replies: [],
    });
    await sendEvent(context, {}, waitOptions);
    expect(context.captured.text()).toContain('no reply reached the control plane');
    expect(context.captured.text()).not.toContain('earlier');
  });
});

describe('replay', () => {
  it('replays a failed execution, shows its reply, exit 0 when it succeeds', async () => {
    const context = fakeContext();
    context.runtime.failAt = 'CreateTenantStacks';
    await sendEvent(context, readSample('onboarding-basic'), waitOptions);
    context.runtime.failAt = undefined;
    const code = await replay(context, 'onboarding-1', waitOptions);
    expect(code).toBe(ExitCode.ok);
    const text = context.captured.text();
    expect(text).toContain('replayed onboarding-1 as onboarding-2');
    expect(text).toContain('reply sbt_aws_provisionSuccess created');
  });

  it('exits 1 when the replay fails again', async () => {
    const context = fakeContext();
    context.runtime.failAt = 'CreateTenantStacks';
    await sendEvent(context, readSample('onboarding-basic'), waitOptions);
    expect(await replay(context, 'onboarding-1', waitOptions)).toBe(ExitCode.workflowFailure);
  });

  it('refuses an unknown or a succeeded execution', async () => {
    const context = fakeContext();
    await sendEvent(context, readSample('onboarding-basic'), waitOptions);
    await expect(replay(context, 'nope', waitOptions)).rejects.toThrow(
      new InputError('no execution named nope (see: npm -s start -- executions)'),
    );
    await expect(replay(context, 'onboarding-1', waitOptions)).rejects.toThrow(
      'execution onboarding-1 is SUCCEEDED: only a failed execution can be replayed',
    );
  });
});

describe('reportOutcome hints', () => {
  it('does not suggest a replay when the request itself is wrong', async () => {
    const context = fakeContext();
    context.runtime.send = async () => ({
      workflow: 'onboarding',
      execution: {
        executionArn: 'arn:e',
        name: 'e-1',
        workflow: 'onboarding',
        status: 'FAILED',
        startedAt: '2026-11-20T10:00:00Z',
        failedState: 'AcceptOnboardingRequest',
        error: 'UnknownTier',
        cause: 'Request names tier "platinum"',
        transitions: 1,
      },
      replies: [],
    });
    expect(await sendEvent(context, readSample('onboarding-unknown-tier'), waitOptions)).toBe(ExitCode.workflowFailure);
    const text = context.captured.text();
    expect(text).toContain(
      '✗ onboarding of an unnamed tenant FAILED at AcceptOnboardingRequest (UnknownTier): Request names tier "platinum"',
    );
    expect(text).toContain('no reply reached the control plane');
    expect(text).toContain('correct the request and send it again (a replay would fail the same way)');
    expect(text).not.toContain('replay e-1');
  });
});
