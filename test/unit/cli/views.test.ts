import { describe, expect, it } from 'vitest';
import type { TenantRecord } from '../../../functions/shared/registry/tenants.ts';
import type { ExecutionSummary, ReceivedReply } from '../../../local/runtime/api.ts';
import {
  executionFailed,
  executionRow,
  executionView,
  historyRow,
  historyView,
  replyRow,
  replySummary,
  replyView,
  routeText,
  tenantRow,
  tenantView,
} from '../../../cli/views.ts';
import { actionText, ruleRow, stackRow } from '../../../cli/resource-views.ts';
import { listenerArn } from './cli.fixture.ts';

const record: TenantRecord = {
  tenantId: 'acme-1',
  tenantName: 'acme',
  tier: 'premium',
  status: 'ACTIVE',
  completed: {},
  plan: { tier: 'premium', isolationModel: 'silo-cluster', stacks: [{ stackName: 'tenant-acme-1' }] },
  route: { listenerArn, priority: 12, style: 'host', value: 'acme-1.tenants.example.com' },
  version: 2,
  createdAt: '2026-11-20T10:00:00.000Z',
  updatedAt: '2026-11-20T10:00:05.000Z',
};

describe('tenantView', () => {
  it('has every key, null when unknown', () => {
    expect(tenantView(record)).toEqual({
      tenantId: 'acme-1',
      tenantName: 'acme',
      tier: 'premium',
      isolationModel: 'silo-cluster',
      status: 'ACTIVE',
      route: {
        style: 'host',
        value: 'acme-1.tenants.example.com',
        headerName: null,
        listenerArn,
        priority: 12,
        ruleArn: null,
      },
      operation: null,
      lastFailure: null,
      createdAt: '2026-11-20T10:00:00.000Z',
      updatedAt: '2026-11-20T10:00:05.000Z',
    });
    expect(
      tenantView({ tenantId: 'x', status: 'ONBOARDING', completed: {}, version: 1, createdAt: 'c', updatedAt: 'u' }),
    ).toMatchObject({
      tenantName: null,
      tier: null,
      isolationModel: null,
      route: null,
    });
  });

  it('shows the row with the route a request takes', () => {
    expect(tenantRow(tenantView(record))).toEqual([
      'acme-1',
      'acme',
      'premium',
      'silo-cluster',
      'ACTIVE',
      'acme-1.tenants.example.com',
    ]);
    expect(
      routeText({
        style: 'header',
        value: 'globex-1',
        headerName: 'X-Tenant-Id',
        listenerArn,
        priority: 3,
        ruleArn: 'r',
      }),
    ).toBe('X-Tenant-Id: globex-1');
    expect(routeText(null)).toBe('-');
  });

  it('says where a tenant left mid-operation failed', () => {
    const stuck: TenantRecord = {
      ...record,
      status: 'ONBOARDING',
      lock: { operation: 'onboarding', registrationId: 'r-1', executionArn: 'arn:e', acquiredAt: 'a' },
      lastFailure: {
        executionArn: 'arn:e',
        failedStep: 'CreateTenantStacks',
        errorName: 'StackCreationFailed',
        failureReason: 'rolled back',
        at: 'a',
      },
    };
    expect(tenantRow(tenantView(stuck))[4]).toBe('ONBOARDING (failed at CreateTenantStacks)');
  });
});

const success: ReceivedReply = {
  receivedAt: '2026-11-20T10:00:05.000Z',
  source: 'sbt.application.plane',
  detailType: 'sbt_aws_provisionSuccess',
  detail: {
    tenantRegistrationId: 'r-1',
    tenantId: 'acme-1',
    jobOutput: {
      tenantData: {
        tenantConfig: JSON.stringify({
          tenantId: 'acme-1',
          tier: 'premium',
          isolationModel: 'silo-cluster',
          stacks: ['tenant-acme-1'],
          services: ['web', 'api'],
          route: { style: 'host', host: 'acme-1.tenants.example.com', listenerArn, priority: 12 },
        }),
      },
      tenantRegistrationData: { registrationStatus: 'created' },
    },
  },
};

const failure: ReceivedReply = {
  ...success,
  detailType: 'sbt_aws_provisionFailure',
  detail: {
    tenantRegistrationId: 'r-2',
    jobOutput: {
      tenantData: {},
      tenantRegistrationData: {
        registrationStatus: 'failed',
        failedStep: 'CreateTenantStacks',
        errorName: 'StackCreationFailed',
        failureReason: 'rolled back',
        executionArn: 'arn:e',
      },
    },
  },
};

describe('replyView', () => {
  it('reads a success reply, tenant config parsed', () => {
    const view = replyView(success);
    expect(view).toMatchObject({
      outcome: 'success',
      tenantRegistrationId: 'r-1',
      tenantId: 'acme-1',
      registrationStatus: 'created',
      failure: null,
    });
    expect(view.tenantConfig).toMatchObject({ tier: 'premium', stacks: ['tenant-acme-1'] });
    expect(replySummary(view)).toBe(
      'tier=premium isolation=silo-cluster route=acme-1.tenants.example.com stacks=1 services=web,api',
    );
  });

  it('reads a failure reply with where and why', () => {
    const view = replyView(failure);
    expect(view).toMatchObject({
      outcome: 'failure',
      tenantId: null,
      registrationStatus: 'failed',
      tenantConfig: null,
      failure: {
        failedStep: 'CreateTenantStacks',
        errorName: 'StackCreationFailed',
        failureReason: 'rolled back',
        executionArn: 'arn:e',
      },
    });
    expect(replySummary(view)).toBe('failed at CreateTenantStacks (StackCreationFailed): rolled back');
  });

  it('summarises a deprovision success and a header route', () => {
    const deleted: ReceivedReply = {
      ...success,
      detailType: 'sbt_aws_deprovisionSuccess',
      detail: {
        tenantRegistrationId: 'r',
        jobOutput: { tenantData: {}, tenantRegistrationData: { registrationStatus: 'deleted' } },
      },
    };
    expect(replySummary(replyView(deleted))).toBe('tenant removed');
    const header = replyView({
      ...success,
      detail: {
        tenantRegistrationId: 'r',
        jobOutput: {
          tenantData: {
            tenantConfig: JSON.stringify({
              tier: 'basic',
              isolationModel: 'pool',
              stacks: [],
              services: ['web'],
              route: { style: 'header', headerName: 'X-Tenant-Id', value: 'g-1' },
            }),
          },
          tenantRegistrationData: { registrationStatus: 'created' },
        },
      },
    });
    expect(replySummary(header)).toContain('route=X-Tenant-Id: g-1 stacks=0');
  });

  it('survives a reply without jobOutput or with a broken tenant config', () => {
    const broken = replyView({
      ...success,
      detail: { jobOutput: { tenantData: { tenantConfig: '{not json' }, tenantRegistrationData: {} } },
    });
    expect(broken).toMatchObject({ tenantConfig: null, registrationStatus: null, outcome: 'success' });
    expect(replyView({ ...success, detail: {} }).registrationStatus).toBeNull();
  });

  it('shows a row with the time, type, tenant and status', () => {
    const row = replyRow(replyView(success), 'acme');
    expect(row.slice(1, 4)).toEqual(['sbt_aws_provisionSuccess', 'acme', 'created']);
    expect(row[0]).toMatch(/^\d\d:\d\d:\d\d$/);
  });
});

const failedExecution: ExecutionSummary = {
  executionArn: 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:onboarding-1',
  name: 'onboarding-1',
  workflow: 'onboarding',
  status: 'FAILED',
  startedAt: '2026-11-20T10:00:00.000Z',
  stoppedAt: '2026-11-20T10:00:01.500Z',
  tenantId: 'acme-1',
  failedState: 'CreateTenantStacks',
  error: 'StackCreationFailed',
  transitions: 7,
};

describe('executions', () => {
  it('has every key in its view', () => {
    expect(executionView(failedExecution)).toEqual({
      executionArn: failedExecution.executionArn,
      name: 'onboarding-1',
      workflow: 'onboarding',
      status: 'FAILED',
      startedAt: '2026-11-20T10:00:00.000Z',
      stoppedAt: '2026-11-20T10:00:01.500Z',
      tenantId: 'acme-1',
      registrationId: null,
      failedState: 'CreateTenantStacks',
      error: 'StackCreationFailed',
      cause: null,
      replayOf: null,
      transitions: 7,
    });
  });

  it('shows how long it took and where it failed', () => {
    const row = executionRow(executionView(failedExecution), 'acme');
    expect([row[0], row[1], row[2], row[3], row[5], row[6], row[7]]).toEqual([
      'onboarding-1',
      'onboarding',
      'acme',
      'FAILED',
      '1.5s',
      '7',
      'CreateTenantStacks: StackCreationFailed',
    ]);
  });

  it('counts FAILED, TIMED_OUT and ABORTED as failed', () => {
    expect(
      ['FAILED', 'TIMED_OUT', 'ABORTED', 'SUCCEEDED', 'RUNNING'].map((status) =>
        executionFailed({ status: status as ExecutionSummary['status'] }),
      ),
    ).toEqual([true, true, true, false, false]);
  });
});

describe('history and resources', () => {
  it('turns a history entry into a row and a view', () => {
    const entry = {
      type: 'StateFailed' as const,
      state: 'CreateTenantStacks',
      at: Date.UTC(2026, 10, 20, 10, 0, 1),
      error: 'StackCreationFailed',
      cause: 'rolled back',
    };
    expect(historyRow(entry).slice(1)).toEqual([
      'StateFailed',
      'CreateTenantStacks',
      'StackCreationFailed: rolled back',
    ]);
    expect(historyView(entry)).toEqual({
      at: '2026-11-20T10:00:01.000Z',
      type: 'StateFailed',
      state: 'CreateTenantStacks',
      error: 'StackCreationFailed',
      cause: 'rolled back',
    });
    expect(historyView({ type: 'ExecutionSucceeded', at: 0 })).toEqual({
      at: '1970-01-01T00:00:00.000Z',
      type: 'ExecutionSucceeded',
      state: null,
      error: null,
      cause: null,
    });
  });

  it('shows stacks and rules briefly', () => {
    expect(
      stackRow({
        stackName: 'tenant-acme-1',
        status: 'CREATE_COMPLETE',
        tags: { tenantId: 'acme-1', tier: 'premium' },
      }),
    ).toEqual(['tenant-acme-1', 'CREATE_COMPLETE', 'acme-1', 'premium']);
    expect(
      ruleRow({
        ruleArn: 'arn:aws:elasticloadbalancing:us-east-1:1:listener-rule/app/tenants/50dc/f2f7/9a8b',
        listenerArn,
        priority: '12',
        tenantId: 'acme-1',
        conditions: 'host-header=a',
        action: {
          type: 'forward',
          targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/acme-1-web/73e2d6bc24d8a067',
        },
      }),
    ).toEqual(['12', 'acme-1', 'host-header=a', 'forward to acme-1-web', 'tenants/f2f7dc8efc522ab2', '9a8b']);
  });

  it('says what a rule does: where it forwards, or the fixed response it answers', () => {
    expect(
      actionText({
        type: 'forward',
        targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/pooled/1a2b',
      }),
    ).toBe('forward to pooled');
    expect(
      actionText({
        type: 'forward',
        targetGroups: [
          { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/old/1a', weight: 3 },
          { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/new/2b', weight: 1 },
        ],
      }),
    ).toBe('forward to old 75%, new 25%');
    expect(
      actionText({
        type: 'fixed-response',
        statusCode: '503',
        contentType: 'application/json',
        messageBody: '{"message":"This tenant is suspended."}',
      }),
    ).toBe('fixed response 503 (application/json)');
    expect(actionText({ type: 'fixed-response', statusCode: '404', contentType: null, messageBody: null })).toBe(
      'fixed response 404',
    );
    expect(actionText({ type: 'redirect' })).toBe('redirect');
  });
});
