import { describe, expect, it } from 'vitest';
import {
  createOutput,
  executionLabel,
  learnTenantNames,
  programName,
  shortId,
  stateDirectory,
  tenantLabel,
} from '../../../cli/context.ts';
import { FakeRuntime } from './cli.fixture.ts';

function stream(isTTY: boolean) {
  const written: string[] = [];
  return { written, isTTY, write: (text: string) => written.push(text) };
}

describe('createOutput', () => {
  it('hides e-mail addresses on stdout and stderr', () => {
    const stdout = stream(false);
    const stderr = stream(false);
    const output = createOutput(stdout, stderr, {});
    output.line('admin is ops@acme.example');
    output.write('x admin@acme.example.com');
    output.error('bad: a@b.example');
    expect(stdout.written).toEqual(['admin is [e-mail hidden]\n', 'x [e-mail hidden]']);
    expect(stderr.written).toEqual(['bad: [e-mail hidden]\n']);
  });

  it('colours only a TTY without NO_COLOR', () => {
    expect(createOutput(stream(true), stream(true), {}).paint('red', 'x')).toBe('\u001b[31mx\u001b[39m');
    expect(createOutput(stream(true), stream(true), { NO_COLOR: '1' }).paint('red', 'x')).toBe('x');
    expect(createOutput(stream(false), stream(true), {}).paint('red', 'x')).toBe('x');
    expect(createOutput(stream(true), stream(false), {}).tty).toBe(true);
  });
});

describe('stateDirectory and programName', () => {
  it('uses TENANT_ORCHESTRATOR_STATE, else .tenant-orchestrator in the working directory', () => {
    expect(stateDirectory({}, '/work/app')).toBe('/work/app/.tenant-orchestrator');
    expect(stateDirectory({ TENANT_ORCHESTRATOR_STATE: '' }, '/work/app')).toBe('/work/app/.tenant-orchestrator');
    expect(stateDirectory({ TENANT_ORCHESTRATOR_STATE: 'state' }, '/work/app')).toBe('/work/app/state');
    expect(stateDirectory({ TENANT_ORCHESTRATOR_STATE: '/tmp/s' }, '/work/app')).toBe('/tmp/s');
  });

  it('suggests npm start under npm start, npx otherwise', () => {
    expect(programName({ npm_lifecycle_event: 'start' })).toBe('npm -s start --');
    expect(programName({})).toBe('npx tenant-orchestrator');
  });
});

describe('labels', () => {
  it('names a tenant by name, else by a short id', () => {
    const names = new Map([['t-1', 'acme']]);
    expect(tenantLabel(names, 't-1')).toBe('acme');
    expect(tenantLabel(names, '7d3f2a10-5b6c-4d8e-9f01-23456789abcd')).toBe('7d3f2a10');
    expect(tenantLabel(names, undefined)).toBe('-');
    expect(shortId('short-id')).toBe('short-id');
  });

  it('shows the control characters of a name as escapes', () => {
    expect(tenantLabel(new Map([['t-1', 'acme\u001b[31m\nfake line']]), 't-1')).toBe('acme\\x1b[31m\\nfake line');
  });

  it('labels an execution by its tenant, else by its name', async () => {
    const runtime = new FakeRuntime();
    const result = await runtime.send(
      {
        'detail-type': 'sbt_aws_onboardingRequest',
        detail: { tenantId: 't-1', tenantRegistrationId: 'r', tenantName: 'acme', tier: 'basic' },
      },
      { wait: true },
    );
    const arn = result.execution?.executionArn ?? '';
    expect(executionLabel(runtime, new Map([['t-1', 'acme']]), arn)).toBe('acme');
    expect(executionLabel(runtime, new Map(), 'arn:aws:states:us-east-1:1:execution:tenant-onboarding:unknown-7')).toBe(
      'unknown-7',
    );
    expect(executionLabel(undefined, new Map(), 'arn:aws:states:us-east-1:1:execution:tenant-onboarding:x')).toBe('x');
  });

  it('learns tenant names from the registry without overwriting known ones', async () => {
    const runtime = new FakeRuntime();
    await runtime.send(
      {
        'detail-type': 'sbt_aws_onboardingRequest',
        detail: { tenantId: 't-1', tenantRegistrationId: 'r', tenantName: 'acme', tier: 'basic' },
      },
      { wait: true },
    );
    await runtime.send(
      {
        'detail-type': 'sbt_aws_onboardingRequest',
        detail: { tenantId: 't-2', tenantRegistrationId: 'r2', tenantName: 'globex', tier: 'basic' },
      },
      { wait: true },
    );
    const tenantNames = new Map([['t-2', 'kept']]);
    await learnTenantNames({ runtime, tenantNames });
    expect([...tenantNames.entries()].sort()).toEqual([
      ['t-1', 'acme'],
      ['t-2', 'kept'],
    ]);
  });
});
