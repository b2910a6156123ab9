/** Request events and registry records for the accept-request tests. */
import type { TenantRecord } from '../../../../functions/shared/registry/tenants.ts';

export const tenantId = '2f1c9d3e-6a44-4b7a-9a51-0c7d1e2f3a4b';
export const registrationId = 'b8e0a1c2-3d4e-4f50-8a9b-1c2d3e4f5a6b';
export const offboardingRegistrationId = 'c9f1b2d3-4e5f-4a60-9b0c-2d3e4f5a6b7c';
export const email = 'admin@acme.example';
export const thisExecution = 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:this-one';
export const otherExecution = 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:other-one';
export const now = '2026-11-20T10:00:05.000Z';

export function onboardingEvent(detail: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    source: 'sbt.control.plane',
    'detail-type': 'sbt_aws_onboardingRequest',
    account: '111122223333',
    region: 'us-east-1',
    time: '2026-11-20T10:00:00Z',
    resources: [],
    detail: {
      tenantId,
      tenantRegistrationId: registrationId,
      tenantName: 'acme',
      email,
      tier: 'premium',
      registrationStatus: 'In progress',
      monthlyPrice: 99,
      ...detail,
    },
  };
}

export function offboardingEvent(detail: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...onboardingEvent(),
    id: '7b8f9afc-c5a2-4d08-b0c1-2e3f4a5b6c7d',
    'detail-type': 'sbt_aws_offboardingRequest',
    detail: {
      tenantId,
      tenantRegistrationId: offboardingRegistrationId,
      tenantName: 'acme',
      email,
      tier: 'premium',
      tenantConfig: '{"tier":"premium"}',
      sbtaws_active: true,
      ...detail,
    },
  };
}

/** A stored tenant record, as GetItem returns it (with its keys). */
export function storedRecord(overrides: Partial<TenantRecord> = {}): Record<string, unknown> {
  return {
    pk: `TENANT#${tenantId}`,
    sk: 'TENANT',
    tenantId,
    tenantName: 'acme',
    tier: 'premium',
    status: 'ACTIVE',
    completed: { [`onboarding#${registrationId}`]: '2026-11-20T09:30:00.000Z' },
    plan: {
      tier: 'premium',
      isolationModel: 'silo-cluster',
      templateVersion: '1.0.0',
      stacks: [{ stackName: `tenant-${tenantId}` }],
    },
    version: 4,
    createdAt: '2026-11-20T09:00:00.000Z',
    updatedAt: '2026-11-20T09:30:00.000Z',
    ...overrides,
  };
}
