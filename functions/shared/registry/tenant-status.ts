/**
 * A tenant's status in the registry, apart from the registry's adapter so that code without I/O (the
 * rollout's selection rule, which the CDK app reads too) can use it without loading the AWS SDK.
 */
export const TenantStatus = {
  onboarding: 'ONBOARDING',
  active: 'ACTIVE',
  offboarding: 'OFFBOARDING',
  deleted: 'DELETED',
  /** A suspension (deactivation) holds the tenant; its route still forwards until the suspension takes effect. */
  suspending: 'SUSPENDING',
  /** Suspended: its route answers a fixed 503, a silo tenant's services run no task. */
  suspended: 'SUSPENDED',
  /** A resume (activation) holds the tenant. */
  resuming: 'RESUMING',
  /** An update (template version or tier) holds the tenant; it serves on what it had until the update completes. */
  updating: 'UPDATING',
} as const;
export type TenantStatus = (typeof TenantStatus)[keyof typeof TenantStatus];
