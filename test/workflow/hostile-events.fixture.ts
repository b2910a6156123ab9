/**
 * Malformed and hostile events for the bad-input workflow test, each with the answer the
 * orchestrator owes it:
 * - `failure-reply`: the request can be addressed (a usable tenantRegistrationId), so the control
 *   plane gets a failure reply whose reason names the problem;
 * - `rejected`: it cannot be addressed, so the admission function starts nothing; there is no
 *   reply, only a logged rejection (alarmed);
 * - `unrouted`: no rule matches it (not a request at all), so no workflow starts.
 * None of them may create anything. Every onboarding here carries an admin e-mail, which no
 * reply or log line may repeat.
 */
import { readSample } from '../../events/samples.ts';

export type HostileOutcome =
  | {
      readonly answer: 'failure-reply';
      readonly errorName: 'InvalidRequest' | 'UnknownTier' | 'TenantNotFound';
      readonly reason: RegExp;
    }
  | { readonly answer: 'rejected'; readonly reason: RegExp }
  | { readonly answer: 'unrouted' };

export interface HostileEvent {
  readonly name: string;
  readonly event: Record<string, unknown>;
  readonly outcome: HostileOutcome;
}

/** The admin e-mail every request here carries; it must never come back out. */
export const adminEmail = 'it@initech.example';

const base = readSample('onboarding-advanced');

/** A valid onboarding for tenant `hostile-<n>`, registration `registration-<n>`, with `changes` applied (undefined removes). */
function onboarding(
  n: number,
  changes: Record<string, unknown> = {},
  envelope: Record<string, unknown> = {},
): Record<string, unknown> {
  const detail: Record<string, unknown> = {
    ...base.detail,
    tenantId: `hostile-${n}`,
    tenantRegistrationId: `registration-${n}`,
    email: adminEmail,
    ...changes,
  };
  for (const [key, value] of Object.entries(changes)) if (value === undefined) delete detail[key];
  const event: Record<string, unknown> = { ...base, id: `hostile-event-${n}`, detail, ...envelope };
  for (const [key, value] of Object.entries(envelope)) if (value === undefined) delete event[key];
  return event;
}

function offboarding(n: number, changes: Record<string, unknown> = {}): Record<string, unknown> {
  return onboarding(n, { registrationStatus: 'created', ...changes }, { 'detail-type': 'sbt_aws_offboardingRequest' });
}

const invalid = (reason: RegExp): HostileOutcome => ({ answer: 'failure-reply', errorName: 'InvalidRequest', reason });
const rejected = (reason: RegExp): HostileOutcome => ({ answer: 'rejected', reason });
const unrouted: HostileOutcome = { answer: 'unrouted' };
const badTenantId = invalid(/detail\.tenantId: must be 1-63 characters of letters, digits and hyphens/);

/** 200 KB of filler: with the rest of the event, still under EventBridge's 256 KB entry limit. */
const twoHundredKilobytes = 'x'.repeat(200 * 1024);

export const hostileEvents: readonly HostileEvent[] = [
  // Each required field missing.
  {
    name: 'tenantId missing',
    event: onboarding(1, { tenantId: undefined }),
    outcome: invalid(/detail\.tenantId: is required/),
  },
  {
    name: 'tenantRegistrationId missing',
    event: onboarding(2, { tenantRegistrationId: undefined }),
    outcome: rejected(/detail\.tenantRegistrationId: is required/),
  },
  {
    name: 'tenantName missing',
    event: onboarding(3, { tenantName: undefined }),
    outcome: invalid(/detail\.tenantName: is required/),
  },
  { name: 'tier missing', event: onboarding(4, { tier: undefined }), outcome: invalid(/detail\.tier: is required/) },
  {
    name: 'tenantId and tier missing: both named',
    event: onboarding(5, { tenantId: undefined, tier: undefined }),
    outcome: invalid(/detail\.tenantId: is required; detail\.tier: is required/),
  },

  // Each mistyped.
  {
    name: 'tenantId a number',
    event: onboarding(6, { tenantId: 42 }),
    outcome: invalid(/detail\.tenantId: must be a string/),
  },
  {
    name: 'tenantId an object',
    event: onboarding(7, { tenantId: { id: 'hostile-7' } }),
    outcome: invalid(/detail\.tenantId: must be a string/),
  },
  {
    name: 'tenantId an array',
    event: onboarding(8, { tenantId: ['hostile-8'] }),
    outcome: invalid(/detail\.tenantId: must be a string/),
  },
  {
    name: 'tenantId null',
    event: onboarding(9, { tenantId: null }),
    outcome: invalid(/detail\.tenantId: must be a string/),
  },
  {
    name: 'tenantId a boolean',
    event: onboarding(10, { tenantId: true }),
    outcome: invalid(/detail\.tenantId: must be a string/),
  },
  {
    name: 'tenantName a number',
    event: onboarding(11, { tenantName: 7 }),
    outcome: invalid(/detail\.tenantName: must be a string/),
  },
  {
    name: 'tenantName an object',
    event: onboarding(12, { tenantName: { first: 'ini', last: 'tech' } }),
    outcome: invalid(/detail\.tenantName: must be a string/),
  },
  {
    name: 'tier an array',
    event: onboarding(13, { tier: ['advanced'] }),
    outcome: invalid(/detail\.tier: must be a string/),
  },
  { name: 'tier null', event: onboarding(14, { tier: null }), outcome: invalid(/detail\.tier: must be a string/) },
  {
    name: 'tier a boolean',
    event: onboarding(15, { tier: false }),
    outcome: invalid(/detail\.tier: must be a string/),
  },
  { name: 'tier a number', event: onboarding(16, { tier: 2 }), outcome: invalid(/detail\.tier: must be a string/) },
  {
    name: 'tenantRegistrationId a number',
    event: onboarding(17, { tenantRegistrationId: 17 }),
    outcome: rejected(/detail\.tenantRegistrationId: must be a string/),
  },
  {
    name: 'tenantRegistrationId null',
    event: onboarding(18, { tenantRegistrationId: null }),
    outcome: rejected(/detail\.tenantRegistrationId: must be a string/),
  },
  {
    name: 'email a number',
    event: onboarding(19, { email: 12345 }),
    outcome: invalid(/detail\.email: must be a string/),
  },
  {
    name: 'registrationStatus an object',
    event: onboarding(20, { registrationStatus: { state: 'In progress' } }),
    outcome: invalid(/detail\.registrationStatus: must be a string/),
  },

  // Unknown tiers, including names an object lookup would find.
  {
    name: 'unknown tier',
    event: onboarding(21, { tier: 'platinum' }),
    outcome: { answer: 'failure-reply', errorName: 'UnknownTier', reason: /tier "platinum"; known tiers: .*advanced/ },
  },
  {
    name: 'tier "__proto__"',
    event: onboarding(22, { tier: '__proto__' }),
    outcome: { answer: 'failure-reply', errorName: 'UnknownTier', reason: /tier "__proto__"; known tiers/ },
  },
  {
    name: 'tier "constructor"',
    event: onboarding(23, { tier: 'constructor' }),
    outcome: { answer: 'failure-reply', errorName: 'UnknownTier', reason: /tier "constructor"; known tiers/ },
  },
  {
    name: 'tier an e-mail address: not echoed',
    event: onboarding(24, { tier: adminEmail }),
    outcome: {
      answer: 'failure-reply',
      errorName: 'UnknownTier',
      reason: /a tier that is not shown \(it has characters no tier name has\); known tiers: basic/,
    },
  },
  {
    name: 'tier with markup and quotes: not echoed',
    event: onboarding(61, { tier: '"><script>alert(1)</script>' }),
    outcome: { answer: 'failure-reply', errorName: 'UnknownTier', reason: /a tier that is not shown/ },
  },

  // Empty strings.
  { name: 'tenantId empty', event: onboarding(25, { tenantId: '' }), outcome: badTenantId },
  {
    name: 'tenantName empty',
    event: onboarding(26, { tenantName: '' }),
    outcome: invalid(/detail\.tenantName: must not be empty/),
  },
  { name: 'tier empty', event: onboarding(27, { tier: '' }), outcome: invalid(/detail\.tier: must not be empty/) },
  {
    name: 'tenantRegistrationId empty',
    event: onboarding(28, { tenantRegistrationId: '' }),
    outcome: rejected(/detail\.tenantRegistrationId: must be 1-128 characters/),
  },

  // Too long.
  { name: 'tenantId of 64 characters', event: onboarding(29, { tenantId: 'a'.repeat(64) }), outcome: badTenantId },
  {
    name: 'tenantName of 257 characters',
    event: onboarding(30, { tenantName: 'n'.repeat(257) }),
    outcome: invalid(/detail\.tenantName: must be at most 256 characters/),
  },

  // A huge payload, still under EventBridge's limit: handled, and the reply does not echo it.
  {
    name: 'unknown tier with a 200 KB extra field',
    event: onboarding(31, { tier: 'gold', notes: twoHundredKilobytes }),
    outcome: { answer: 'failure-reply', errorName: 'UnknownTier', reason: /tier "gold"; known tiers/ },
  },

  // Path, shell and SQL characters in ids (they end up in stack names, host names and URL paths).
  { name: 'tenantId a path', event: onboarding(32, { tenantId: '../../etc/passwd' }), outcome: badTenantId },
  { name: 'tenantId a shell substitution', event: onboarding(33, { tenantId: '$(rm -rf /)' }), outcome: badTenantId },
  {
    name: 'tenantId a SQL injection',
    event: onboarding(34, { tenantId: "x'; drop table tenants; --" }),
    outcome: badTenantId,
  },
  { name: 'tenantId a host name', event: onboarding(35, { tenantId: 'evil.example.com' }), outcome: badTenantId },
  { name: 'tenantId an e-mail address', event: onboarding(36, { tenantId: adminEmail }), outcome: badTenantId },
  { name: 'tenantId unicode', event: onboarding(37, { tenantId: 'zürich-東京' }), outcome: badTenantId },
  {
    name: 'tenantRegistrationId a path',
    event: onboarding(38, { tenantRegistrationId: '../../tenant-registrations/other' }),
    outcome: rejected(/detail\.tenantRegistrationId: must be 1-128 characters/),
  },
  {
    name: 'tenantRegistrationId a shell substitution',
    event: onboarding(39, { tenantRegistrationId: '$(curl evil.example)' }),
    outcome: rejected(/detail\.tenantRegistrationId: must be 1-128 characters/),
  },

  // Control characters.
  {
    name: 'tenantName with a newline (log forging)',
    event: onboarding(40, { tenantName: 'initech\n{"level":"INFO","message":"forged"}' }),
    outcome: invalid(/detail\.tenantName: must not contain control characters/),
  },
  {
    name: 'tenantName with NUL and BEL',
    event: onboarding(41, { tenantName: 'ini\u0000te\u0007ch' }),
    outcome: invalid(/detail\.tenantName: must not contain control characters/),
  },
  {
    name: 'tenantId with a trailing newline',
    event: onboarding(42, { tenantId: 'hostile-42\n' }),
    outcome: badTenantId,
  },

  // A prototype key from JSON cannot stand in for a missing field.
  {
    name: 'tier missing, "__proto__" carrying one',
    event: onboarding(43, { tier: undefined, ...JSON.parse('{"__proto__":{"tier":"premium"}}') }),
    outcome: invalid(/detail\.tier: is required/),
  },

  // Offboardings.
  {
    name: 'offboarding without tenantId',
    event: offboarding(45, { tenantId: undefined }),
    outcome: invalid(/Invalid offboarding request: detail\.tenantId: is required/),
  },
  {
    name: 'offboarding with tenantConfig an object',
    event: offboarding(46, { tenantConfig: { tier: 'advanced' } }),
    outcome: invalid(/detail\.tenantConfig: must be a string/),
  },
  {
    name: 'offboarding with a path as tenantId',
    event: offboarding(47, { tenantId: '../hostile-1' }),
    outcome: badTenantId,
  },

  // The envelope.
  {
    name: 'detail a string',
    event: onboarding(48, {}, { detail: JSON.stringify(onboarding(48).detail) }),
    outcome: rejected(/event\.detail: must be an object/),
  },
  {
    name: 'detail an array',
    event: onboarding(49, {}, { detail: [onboarding(49).detail] }),
    outcome: rejected(/event\.detail: must be an object/),
  },
  {
    name: 'detail null',
    event: onboarding(50, {}, { detail: null }),
    outcome: rejected(/event\.detail: must be an object/),
  },
  {
    name: 'no detail at all',
    event: onboarding(51, {}, { detail: undefined }),
    outcome: rejected(/detail\.tenantId: is required; detail\.tenantRegistrationId: is required/),
  },
  {
    name: 'time a number',
    event: onboarding(52, {}, { time: 1_795_000_000 }),
    outcome: invalid(/event\.time: must be a string/),
  },
  { name: 'id empty', event: onboarding(53, {}, { id: '' }), outcome: invalid(/event\.id: /) },

  // Not requests: no rule matches, nothing starts.
  {
    name: 'a reply (sbt_aws_provisionSuccess) sent as a request',
    event: onboarding(54, {}, { 'detail-type': 'sbt_aws_provisionSuccess' }),
    outcome: unrouted,
  },
  { name: 'wrong source', event: onboarding(55, {}, { source: 'evil.control.plane' }), outcome: unrouted },
  { name: 'no source', event: onboarding(57, {}, { source: undefined }), outcome: unrouted },
  {
    name: 'unknown detail type',
    event: onboarding(58, {}, { 'detail-type': 'sbt_aws_deleteEverything' }),
    outcome: unrouted,
  },
  { name: 'detail type a number', event: onboarding(59, {}, { 'detail-type': 7 }), outcome: unrouted },
  {
    name: 'detail type in other case',
    event: onboarding(60, {}, { 'detail-type': 'SBT_AWS_ONBOARDINGREQUEST' }),
    outcome: unrouted,
  },
  // Who may ask: only the control plane's accounts (by default the deploying one).
  { name: 'a request from another account', event: onboarding(62, {}, { account: '999988887777' }), outcome: unrouted },
];

/**
 * Requests that look odd but are valid: a tenant name is free text, stored and never used in a
 * resource name, so unicode and punctuation in it onboard like any other name.
 */
export const oddButValidOnboardings: readonly {
  readonly name: string;
  readonly event: Record<string, unknown>;
  readonly tenantName: string;
}[] = [
  { name: 'unicode tenantName', tenantName: 'Zürich Café 東京 Ελληνικά' },
  { name: 'emoji tenantName', tenantName: '🚀 Rocket Co 🦄' },
  { name: 'right-to-left tenantName', tenantName: 'شركة الاختبار' },
  { name: 'tenantName a path', tenantName: '../../etc/passwd' },
  { name: 'tenantName a shell substitution', tenantName: '$(rm -rf /)' },
  { name: 'tenantName a SQL injection', tenantName: "Robert'); drop table tenants; --" },
  { name: 'tenantName of exactly 256 characters', tenantName: 'n'.repeat(256) },
].map((entry, index) => ({ ...entry, event: onboarding(100 + index, { tenantName: entry.tenantName }) }));

/** A valid onboarding with a 200 KB extra field: extras are kept and never fail a request. */
export const hugeValidOnboarding = onboarding(200, { notes: twoHundredKilobytes });
