/**
 * An onboarding and an offboarding of one tenant that arrive together are served one after the
 * other, and the tenant ends as the LATER request (by event `time`) says, whatever the order of
 * arrival. The earlier request is either applied first or, when it would undo the later one,
 * ends SUPERSEDED with no reply (the later operation's reply answers the registration). An
 * offboarding of a tenant never onboarded succeeds and leaves a tombstone that refuses older
 * onboardings. Nothing leaks: no stack, rule, route priority or stack-operation slot beyond what
 * the final state needs.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readSample } from '../../events/samples.ts';
import type { HistoryEntry } from '../../local/workflow-runner.ts';
import type { LocalRuntime, SendResult } from '../../local/runtime/api.ts';
import { cloudResourcesOf, kinds, openTestRuntime, registryLeftovers, tenantRecord } from './runtime.fixture.ts';

/**
 * Retry intervals last `waitMs`: a busy tenant is retried 30 times, 100 ms apart. The onboarding it
 * waits for is a fixed count of states: its stack is done after about one Wait (100 ms) and its
 * services run on their second look (counted in looks, not time), so it needs a few of those 30
 * intervals on any machine, where services that start after a time could be caught either way.
 */
const timings = { createMs: 100, deleteMs: 100, startLooks: 1, waitMs: 100 } as const;

type Listener = (executionArn: string, entry: HistoryEntry) => void;
const listeners = new Set<Listener>();

let runtime: LocalRuntime;
let dispose: () => Promise<void>;
beforeEach(async () => {
  ({ runtime, dispose } = await openTestRuntime({
    timings,
    onEvent: (execution, entry) => {
      for (const listener of listeners) listener(execution.executionArn, entry);
    },
  }));
});
afterEach(async () => {
  listeners.clear();
  await dispose();
});

const T = Date.parse('2026-11-20T10:00:00Z');
const at = (offsetSeconds: number) => new Date(T + offsetSeconds * 1000).toISOString().replace('.000Z', 'Z');

const onboardingSample = readSample('onboarding-premium');
const tenantId = String(onboardingSample.detail.tenantId);

function onboardingAt(offsetSeconds: number) {
  return { ...onboardingSample, id: `onboarding-${offsetSeconds}`, time: at(offsetSeconds) };
}

function offboardingAt(offsetSeconds: number) {
  return {
    ...onboardingSample,
    id: `offboarding-${offsetSeconds}`,
    time: at(offsetSeconds),
    'detail-type': 'sbt_aws_offboardingRequest',
    detail: { ...onboardingSample.detail, registrationStatus: 'created', sbtaws_active: true },
  };
}

/**
 * Resolves when an execution whose ARN `started` returns has an entry matching `matches`; fails when
 * that execution ends without one (its end is the deadline: no wall-clock timer).
 */
function whenEntry(
  matches: (entry: HistoryEntry) => boolean,
  started: () => string | undefined,
  what: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const listener: Listener = (executionArn, entry) => {
      if (executionArn !== started()) return;
      if (matches(entry)) {
        listeners.delete(listener);
        resolve();
      } else if (entry.type === 'ExecutionSucceeded' || entry.type === 'ExecutionFailed') {
        listeners.delete(listener);
        reject(new Error(`The execution ended without ${what}`));
      }
    };
    listeners.add(listener);
  });
}

/**
 * How the two requests arrive. `first` and `second` are put on the bus in that order; for
 * `together`, in the same tick; otherwise `second` waits until `first` was accepted.
 */
type Arrival = 'together' | 'after-first-is-accepted';

async function deliver(
  first: unknown,
  second: unknown,
  arrival: Arrival,
): Promise<{ first: SendResult; second: SendResult }> {
  if (arrival === 'together') {
    const [a, b] = await Promise.all([runtime.send(first), runtime.send(second)]);
    await runtime.drain();
    return { first: a!, second: b! };
  }
  let firstArn: string | undefined;
  const reached = whenEntry(
    (entry) => entry.type === 'StateEntered' && entry.state === 'IsDuplicateRequest',
    () => firstArn,
    'the first request to be accepted',
  );
  const a = await runtime.send(first);
  firstArn = a.execution?.executionArn;
  await reached;
  const b = await runtime.send(second);
  await runtime.drain();
  return { first: a, second: b };
}

/** The final execution summaries of both requests, in the order onboarding, offboarding. */
function outcomes(results: { first: SendResult; second: SendResult }, onboardingFirst: boolean) {
  const [onboarding, offboarding] = onboardingFirst ? [results.first, results.second] : [results.second, results.first];
  return {
    onboarding: runtime.execution(onboarding.execution!.executionArn)!,
    offboarding: runtime.execution(offboarding.execution!.executionArn)!,
  };
}

/** When an execution got past its accept step. */
function acceptedAt(executionArn: string): number {
  return enteredAt(executionArn, 'IsDuplicateRequest');
}

/** When an execution entered a state. */
function enteredAt(executionArn: string, state: string): number {
  return runtime.history(executionArn).find((entry) => entry.type === 'StateEntered' && entry.state === state)!.at;
}

/** The last state an execution entered: where it ended. */
function lastStateOf(executionArn: string): string | undefined {
  return runtime.history(executionArn).findLast((entry) => entry.type === 'StateEntered')?.state;
}

/** The errors of an execution's failed attempts (retried or not), in order. */
function failedAttempts(executionArn: string): string[] {
  return runtime
    .history(executionArn)
    .filter((entry) => entry.type === 'StateFailed')
    .map((entry) => entry.error ?? '');
}

async function expectNothingLeft() {
  expect(cloudResourcesOf(runtime, tenantId)).toEqual({ stacks: [], rules: [], services: [] });
  expect(runtime.resources()).toEqual({ stacks: [], rules: [], services: [] });
  expect(await registryLeftovers()).toEqual({ priorities: [], slots: [] });
}

describe('onboarding at T, offboarding at T+5s: the tenant ends DELETED', () => {
  it.each<[string, boolean, Arrival]>([
    ['together, onboarding first', true, 'together'],
    ['together, offboarding first', false, 'together'],
    ['offboarding arrives once the onboarding is accepted', true, 'after-first-is-accepted'],
    ['onboarding arrives once the offboarding is accepted', false, 'after-first-is-accepted'],
  ])('%s', async (_name, onboardingFirst, arrival) => {
    const [first, second] = onboardingFirst ? [onboardingAt(0), offboardingAt(5)] : [offboardingAt(5), onboardingAt(0)];

    const results = await deliver(first, second, arrival);

    const { onboarding, offboarding } = outcomes(results, onboardingFirst);
    expect(offboarding.status).toBe('SUCCEEDED');
    const onboardingAccepted = runtime
      .history(onboarding.executionArn)
      .some((entry) => entry.state === 'IsDuplicateRequest');
    if (onboardingAccepted) {
      // Served one after the other: the offboarding got past acceptance only once the onboarding had
      // built everything and was activating the tenant (which releases the lock).
      expect(acceptedAt(offboarding.executionArn)).toBeGreaterThanOrEqual(
        enteredAt(onboarding.executionArn, 'ActivateTenant'),
      );
      expect(failedAttempts(offboarding.executionArn)).toContain('TenantBusy');
      // Its success reply goes out unless the offboarding took the tenant between activation and the
      // reply: then the offboarding's reply is the answer.
      expect(['SUCCEEDED', 'SUPERSEDED']).toContain(onboarding.status);
    } else {
      // The offboarding of a tenant never onboarded left a tombstone at T+5s: the older onboarding builds nothing.
      expect(onboarding.status).toBe('SUPERSEDED');
      expect(
        runtime
          .history(onboarding.executionArn)
          .filter((entry) => entry.type === 'StateEntered')
          .map((entry) => entry.state),
      ).toEqual(['AcceptOnboardingRequest', 'Superseded']);
    }
    expect(lastStateOf(onboarding.executionArn)).toBe(
      onboarding.status === 'SUCCEEDED' ? 'TenantOnboarded' : 'Superseded',
    );
    expect(kinds(runtime.replies())).toEqual(
      onboarding.status === 'SUCCEEDED'
        ? ['sbt_aws_provisionSuccess', 'sbt_aws_deprovisionSuccess']
        : ['sbt_aws_deprovisionSuccess'],
    );
    expect(await tenantRecord(runtime, tenantId)).toMatchObject({ status: 'DELETED', lastRequestAt: at(5) });
    expect((await tenantRecord(runtime, tenantId))?.lock).toBeUndefined();
    await expectNothingLeft();
  });
});

describe('offboarding at T of an unknown tenant, onboarding at T+5s: the tenant ends ACTIVE', () => {
  it.each<[string, boolean, Arrival]>([
    ['together, offboarding first', false, 'together'],
    ['together, onboarding first', true, 'together'],
    ['offboarding arrives after the onboarding is accepted', true, 'after-first-is-accepted'],
    ['onboarding arrives once the offboarding is accepted', false, 'after-first-is-accepted'],
  ])('%s', async (_name, onboardingFirst, arrival) => {
    const [first, second] = onboardingFirst ? [onboardingAt(5), offboardingAt(0)] : [offboardingAt(0), onboardingAt(5)];

    const results = await deliver(first, second, arrival);

    const { onboarding, offboarding } = outcomes(results, onboardingFirst);
    expect(onboarding.status).toBe('SUCCEEDED');
    // Accepted first, the offboarding finds nothing to delete and succeeds (its tombstone is older than
    // the onboarding); accepted after the onboarding, it is older than the tenant's latest request.
    expect(['SUCCEEDED', 'SUPERSEDED']).toContain(offboarding.status);
    expect(offboarding.error).toBeUndefined();
    // The deletion reply (when sent) comes first, so the control plane ends on the onboarding's "created".
    expect(kinds(runtime.replies())).toEqual(
      offboarding.status === 'SUCCEEDED'
        ? ['sbt_aws_deprovisionSuccess', 'sbt_aws_provisionSuccess']
        : ['sbt_aws_provisionSuccess'],
    );
    expect(await tenantRecord(runtime, tenantId)).toMatchObject({ status: 'ACTIVE', lastRequestAt: at(5) });
    expect((await tenantRecord(runtime, tenantId))?.lock).toBeUndefined();
    const resources = cloudResourcesOf(runtime, tenantId);
    expect(resources.stacks.map((stack) => stack.status)).toEqual(['CREATE_COMPLETE']);
    expect(resources.rules).toHaveLength(1);
    expect(runtime.resources().stacks).toHaveLength(1);
    expect(await registryLeftovers()).toMatchObject({ priorities: [expect.objectContaining({ tenantId })], slots: [] });
  });

  it('an offboarding at T arriving after the tenant went ACTIVE at T+5s is refused as superseded, with no reply', async () => {
    await runtime.send(onboardingAt(5), { wait: true });

    const stale = await runtime.send(offboardingAt(0), { wait: true });

    expect(stale.execution).toMatchObject({ status: 'SUPERSEDED' });
    expect(lastStateOf(stale.execution!.executionArn)).toBe('Superseded');
    expect(kinds(stale.replies)).toEqual([]);
    expect(await tenantRecord(runtime, tenantId)).toMatchObject({ status: 'ACTIVE' });
    expect(cloudResourcesOf(runtime, tenantId).stacks).toHaveLength(1);
  });
});
