import { describe, expect, it } from 'vitest';
import {
  buildReply,
  defaultContractConfig,
  type FailureDetails,
  operationOfDetailType,
  parseRequest,
  ReplyDetailSchema,
  type ContractConfig,
  workflowRequestEventPattern,
} from '../../../events/contract.ts';

const config: ContractConfig = { ...defaultContractConfig, eventBusName: 'saas-bus' };
const tenantId = 't-1';
const registrationId = 'b8e0a1c2-3d4e-4f50-8a9b-1c2d3e4f5a6b';

function request(detailType: string, detail: Record<string, unknown> = {}) {
  return {
    id: 'e-1',
    source: 'sbt.control.plane',
    'detail-type': detailType,
    time: '2026-11-20T10:00:00Z',
    detail: { tenantId, tenantRegistrationId: registrationId, ...detail },
  };
}

const failure: FailureDetails = {
  failureReason: 'Step UpdateTenantStacks failed with StackUpdateFailed.',
  failedStep: 'UpdateTenantStacks',
  errorName: 'StackUpdateFailed',
  executionArn: 'arn:aws:states:us-east-1:111122223333:execution:tenant-suspension:e-1',
};

describe('deactivateRequest and activateRequest', () => {
  it('are accepted in both spellings as the deactivation and activation operations', () => {
    expect(
      ['sbt_aws_deactivateRequest', 'deactivateRequest', 'sbt_aws_activateRequest', 'activateRequest'].map((type) =>
        operationOfDetailType(config, type),
      ),
    ).toEqual(['deactivation', 'deactivation', 'activation', 'activation']);
    expect(operationOfDetailType({ ...config, acceptLegacyDetailTypes: false }, 'deactivateRequest')).toBeUndefined();
  });

  it('read only the tenant and the registration; every other field is ignored, whatever its type', () => {
    const parsed = parseRequest(
      request('sbt_aws_deactivateRequest', { tier: 42, tenantName: ['x'], email: { not: 'a string' } }),
      config,
    );

    expect(parsed).toEqual({
      operation: 'deactivation',
      tenantId,
      registrationId,
      eventId: 'e-1',
      requestedAt: '2026-11-20T10:00:00Z',
    });
  });

  it('are refused without a valid tenant id, naming the field', () => {
    expect(() => parseRequest(request('sbt_aws_activateRequest', { tenantId: '' }), config)).toThrow(
      /Invalid activation request: detail\.tenantId/,
    );
  });

  it('reach the suspension workflow through one rule pattern with both operations', () => {
    expect(workflowRequestEventPattern(config, 'suspension')).toEqual({
      source: ['sbt.control.plane'],
      'detail-type': ['sbt_aws_deactivateRequest', 'deactivateRequest', 'sbt_aws_activateRequest', 'activateRequest'],
    });
  });
});

describe('suspend and resume replies', () => {
  const detailOf = (entry: { Detail: string }) => JSON.parse(entry.Detail) as Record<string, unknown>;

  it('deactivateSuccess says "deactivated", activateSuccess "created", both clearing an earlier failure', () => {
    const suspended = buildReply(config, { registrationId, tenantId }, { kind: 'deactivateSuccess' });
    const resumed = buildReply(config, { registrationId, tenantId }, { kind: 'activateSuccess' });

    expect(suspended.DetailType).toBe('sbt_aws_deactivateSuccess');
    expect(resumed.DetailType).toBe('sbt_aws_activateSuccess');
    expect(detailOf(suspended)).toMatchObject({
      jobOutput: { tenantRegistrationData: { registrationStatus: 'deactivated', failureReason: null } },
    });
    expect(detailOf(resumed)).toMatchObject({
      jobOutput: { tenantRegistrationData: { registrationStatus: 'created', failureReason: null } },
    });
    expect(ReplyDetailSchema.safeParse(detailOf(suspended)).success).toBe(true);
  });

  it('deactivateFailure and activateFailure say "failed" with the reason, in the legacy spelling when configured', () => {
    const legacy = { ...config, emitLegacyDetailTypes: true };
    const entries = (['deactivateFailure', 'activateFailure'] as const).map((kind) =>
      buildReply(legacy, { registrationId }, { kind, failure }),
    );

    expect(entries.map((entry) => entry.DetailType)).toEqual(['deactivateFailure', 'activateFailure']);
    for (const entry of entries) {
      expect(detailOf(entry)).toMatchObject({
        jobOutput: { tenantRegistrationData: { registrationStatus: 'failed', ...failure } },
      });
    }
  });
});
