/**
 * Malformed and hostile events on the local bus (test/workflow/hostile-events.fixture.ts). Each ends in a
 * failure reply naming the problem when it can be addressed, in a logged rejection by the
 * admission function (no execution, no reply) when it cannot, or starts nothing when no rule
 * matches it. None creates anything, and no reply
 * or log line repeats the tenant's e-mail. Odd but valid requests (unicode names, a 200 KB
 * extra field) onboard as usual.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalRuntime, ReceivedReply } from '../../local/runtime/api.ts';
import { tenantListReadyKey } from '../../functions/shared/registry/keys.ts';
import {
  adminEmail,
  hostileEvents,
  hugeValidOnboarding,
  oddButValidOnboardings,
  type HostileEvent,
} from './hostile-events.fixture.ts';
import {
  cloudResourcesOf,
  kinds,
  openTestRuntime,
  registrationData,
  registryItems,
  tenantRecord,
} from './runtime.fixture.ts';

// Handlers read the log level once, at their first import (when the first execution runs).
const previousLogLevel = process.env.POWERTOOLS_LOG_LEVEL;
process.env.POWERTOOLS_LOG_LEVEL = 'WARN';

/** What handlers wrote to stdout and stderr (their Powertools log lines). */
const output: string[] = [];

let runtime: LocalRuntime;
let dispose: () => Promise<void>;
beforeAll(async () => {
  const capture = (chunk: string | Uint8Array): boolean => {
    output.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture as typeof process.stdout.write);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture as typeof process.stderr.write);
  ({ runtime, dispose } = await openTestRuntime());
});
afterAll(async () => {
  await dispose();
  vi.restoreAllMocks();
  if (previousLogLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
  else process.env.POWERTOOLS_LOG_LEVEL = previousLogLevel;
});

/** Log lines written since `from` (an index into `output`), parsed. */
function logLinesSince(from: number): Record<string, unknown>[] {
  return output
    .slice(from)
    .join('')
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const emailPattern = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/;

function expectNoEmail(replies: readonly ReceivedReply[]) {
  for (const reply of replies) expect(JSON.stringify(reply)).not.toMatch(emailPattern);
}

const operationOf = (event: Record<string, unknown>) =>
  event['detail-type'] === 'sbt_aws_offboardingRequest' ? 'offboarding' : 'onboarding';
const registrationIdOf = (event: Record<string, unknown>) =>
  (event.detail as Record<string, unknown>).tenantRegistrationId;

describe('malformed and hostile requests are answered, or rejected, and create nothing', () => {
  it('the list covers at least 30 malformed or hostile events', () => {
    expect(hostileEvents.length).toBeGreaterThanOrEqual(30);
    expect(new Set(hostileEvents.map((hostile) => hostile.name)).size).toBe(hostileEvents.length);
  });

  it.each(hostileEvents)('$name', async ({ event, outcome }: HostileEvent) => {
    const logsFrom = output.length;
    const repliesBefore = runtime.replies().length;
    const undeliveredBefore = runtime.undelivered!().length;

    const result = await runtime.send(event, { wait: true });

    const logs = logLinesSince(logsFrom);
    const rejections = logs.filter((line) => line.message === 'Request rejected and cannot be answered');
    if (outcome.answer === 'unrouted') {
      expect(result).toEqual({ replies: [] });
      expect(runtime.undelivered!().slice(undeliveredBefore)).toEqual([
        expect.objectContaining({ reason: 'No rule matched the event' }),
      ]);
    } else if (outcome.answer === 'rejected') {
      // Cannot be answered: the admission function refuses it, starts nothing and logs the (alarmed) rejection.
      expect(result).toEqual({ workflow: operationOf(event), replies: [], admission: 'rejected' });
      expect(runtime.executions().filter((execution) => execution.name === event.id)).toEqual([]);
      expect(rejections).toEqual([
        expect.objectContaining({
          level: 'ERROR',
          rejected: true,
          errorName: 'InvalidRequest',
          service: 'admit-request',
        }),
      ]);
      expect(rejections[0]?.reason).toMatch(outcome.reason);
    } else {
      const operation = operationOf(event);
      const failedState = operation === 'onboarding' ? 'AcceptOnboardingRequest' : 'AcceptOffboardingRequest';
      expect(result.workflow).toBe(operation);
      const errorName = outcome.errorName;
      expect(result.execution).toMatchObject({ status: 'FAILED', failedState, error: errorName });
      expect(result.execution?.cause).toMatch(outcome.reason);
      {
        expect(kinds(result.replies)).toEqual([
          operation === 'onboarding' ? 'sbt_aws_provisionFailure' : 'sbt_aws_deprovisionFailure',
        ]);
        const reply = result.replies[0]!;
        expect(reply.detail.tenantRegistrationId).toBe(registrationIdOf(event));
        expect(registrationData(reply)).toMatchObject({
          registrationStatus: 'failed',
          failedStep: failedState,
          errorName,
          executionArn: result.execution?.executionArn,
        });
        expect(registrationData(reply)?.failureReason).toMatch(outcome.reason);
        expect(registrationData(reply)?.failureReason).toContain('Correct the request and send it again');
        // The reply names the problem; it never echoes the request (a 200 KB field stays out).
        expect(JSON.stringify(reply.detail).length).toBeLessThan(2048);
        expect(rejections).toEqual([]);
      }
    }
    // Only this request's reply (if any) arrived, and none carries an e-mail address.
    expect(runtime.replies().length - repliesBefore).toBe(outcome.answer === 'failure-reply' ? 1 : 0);
    expectNoEmail(runtime.replies());
    expect(output.slice(logsFrom).join('')).not.toContain(adminEmail);
    // Nothing was created: no stack, rule or service, and nothing in the registry.
    expect(runtime.resources()).toEqual({ stacks: [], rules: [], services: [] });
    // Nothing but the item that says the (empty) tenant list is complete (functions/shared/registry/tenant-list.ts).
    expect(await registryItems()).toEqual([expect.objectContaining(tenantListReadyKey)]);
  });
});

describe('odd but valid requests onboard', () => {
  it.each(oddButValidOnboardings)('$name: onboards, the name kept as data', async ({ event, tenantName }) => {
    const tenantId = String((event.detail as Record<string, unknown>).tenantId);

    const result = await runtime.send(event, { wait: true });

    expect(result.execution?.status).toBe('SUCCEEDED');
    expect(kinds(result.replies)).toEqual(['sbt_aws_provisionSuccess']);
    expectNoEmail(result.replies);
    expect(await tenantRecord(runtime, tenantId)).toMatchObject({ status: 'ACTIVE', tenantName });
    const resources = cloudResourcesOf(runtime, tenantId);
    expect(resources.stacks.map((stack) => stack.status)).toEqual(['CREATE_COMPLETE']);
    expect(resources.rules).toHaveLength(1);
  });

  it('a request with a 200 KB extra field onboards, and its reply stays small', async () => {
    const tenantId = String((hugeValidOnboarding.detail as Record<string, unknown>).tenantId);
    expect(JSON.stringify(hugeValidOnboarding).length).toBeGreaterThan(200 * 1024);
    expect(JSON.stringify(hugeValidOnboarding).length).toBeLessThan(256 * 1024);

    const result = await runtime.send(hugeValidOnboarding, { wait: true });

    expect(result.execution?.status).toBe('SUCCEEDED');
    expect(kinds(result.replies)).toEqual(['sbt_aws_provisionSuccess']);
    expect(JSON.stringify(result.replies[0]).length).toBeLessThan(4096);
    expect(await tenantRecord(runtime, tenantId)).toMatchObject({ status: 'ACTIVE' });
    expect(cloudResourcesOf(runtime, tenantId).stacks).toHaveLength(1);
  });
});
