/**
 * Control-plane requests for the benchmarks: the sample events of events/samples/ with fresh ids,
 * so every run onboards a new tenant.
 */
import { randomUUID } from 'node:crypto';
import { readSample } from '../../events/samples.ts';

/** The tiers of functions/shared/config/tiers.json, cheapest first. */
export const benchTiers = ['basic', 'advanced', 'premium'] as const;
export type BenchTier = (typeof benchTiers)[number];

/** A tenant the benchmark onboards and later offboards. */
export interface BenchTenant {
  readonly tier: BenchTier;
  readonly tenantId: string;
  readonly registrationId: string;
  readonly tenantName: string;
}

/** A new tenant of the tier, with fresh ids. */
export function newTenant(tier: BenchTier, tenantName = `bench-${tier}`): BenchTenant {
  return { tier, tenantId: randomUUID(), registrationId: randomUUID(), tenantName };
}

/** The onboarding request the control plane would send for the tenant (the tier's sample, new ids). */
export function onboardingRequest(tenant: BenchTenant): Record<string, unknown> {
  const sample = readSample(`onboarding-${tenant.tier}`);
  return {
    ...sample,
    id: randomUUID(),
    detail: {
      ...sample.detail,
      tenantId: tenant.tenantId,
      tenantRegistrationId: tenant.registrationId,
      tenantName: tenant.tenantName,
    },
  };
}

/** The offboarding request for an onboarded tenant: the same detail, as the control plane keeps it. */
export function offboardingRequest(tenant: BenchTenant): Record<string, unknown> {
  const onboarding = onboardingRequest(tenant);
  return {
    ...onboarding,
    'detail-type': 'sbt_aws_offboardingRequest',
    detail: { ...(onboarding.detail as Record<string, unknown>), registrationStatus: 'created', sbtaws_active: true },
  };
}
