/**
 * A redrive across a deploy: Step Functions runs the old execution's input through the newly
 * deployed functions (the workflows call unqualified function ARNs), against registry records the
 * previous release wrote (no attempt on the lock, no tombstone, no lastCompletion). The inputs and
 * records here were recorded from that release (fixtures/previous-release.json).
 */
import { readFileSync } from 'node:fs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dynamoDbDocumentClient } from '../../functions/shared/aws/clients.ts';
import { readRegistryTableName } from '../../functions/shared/config/environment.ts';
import {
  AcceptInputSchema,
  CheckServicesInputSchema,
  CompleteOperationInputSchema,
  ConvergeStacksInputSchema,
  parseStepInput,
  PlanInputSchema,
  RegisterRouteInputSchema,
  RemoveRouteInputSchema,
  SendReplyInputSchema,
} from '../../functions/shared/step/schemas.ts';
import type { LocalRuntime } from '../../local/runtime/api.ts';
import { lambdaContext, loadHandler } from '../../local/workflow-runner.ts';
import { kinds, openTestRuntime, tenantRecord } from './runtime.fixture.ts';

interface Recorded {
  readonly taskInputs: Record<string, Record<string, unknown>>;
  readonly registryAfterOnboarding: Record<string, unknown>[];
  readonly registryAfterOffboarding: Record<string, unknown>[];
}
const recorded = JSON.parse(
  readFileSync(new URL('./fixtures/previous-release.json', import.meta.url), 'utf8'),
) as Recorded;

/** The schema each state's handler parses its input with. */
const schemaOfState = {
  AcceptOnboardingRequest: AcceptInputSchema,
  AcceptOffboardingRequest: AcceptInputSchema,
  PlanTenantResources: PlanInputSchema,
  RegisterTenantRoute: RegisterRouteInputSchema,
  CreateTenantStacks: ConvergeStacksInputSchema,
  CheckTenantStacks: ConvergeStacksInputSchema,
  DeleteTenantStacks: ConvergeStacksInputSchema,
  CheckStackDeletion: ConvergeStacksInputSchema,
  VerifyTenantServices: CheckServicesInputSchema,
  RecheckTenantServices: CheckServicesInputSchema,
  ActivateTenant: CompleteOperationInputSchema,
  MarkTenantDeleted: CompleteOperationInputSchema,
  SendProvisionSuccess: SendReplyInputSchema,
  SendDeprovisionSuccess: SendReplyInputSchema,
  RemoveTenantRoute: RemoveRouteInputSchema,
} as const;

let runtime: LocalRuntime;
let dispose: () => Promise<void>;
beforeEach(async () => {
  ({ runtime, dispose } = await openTestRuntime());
});
afterEach(async () => {
  await dispose();
});

async function putItems(items: readonly Record<string, unknown>[]): Promise<void> {
  for (const item of items)
    await dynamoDbDocumentClient().send(new PutCommand({ TableName: readRegistryTableName(), Item: item }));
}

async function invoke(directory: string, input: unknown): Promise<unknown> {
  return (await loadHandler(directory))(input, lambdaContext(`tenant-orchestrator-${directory}`));
}

describe('the previous release', () => {
  it('recorded the input of every task of both workflows', () => {
    const states = new Set(Object.keys(recorded.taskInputs).map((key) => key.split('/')[1]));
    expect([...states].sort()).toEqual(
      Object.keys(schemaOfState)
        .filter((state) => !state.startsWith('Recheck'))
        .sort(),
    );
  });

  it.each(Object.entries(recorded.taskInputs))('its %s input parses with the new step schema', (key, input) => {
    const state = key.split('/')[1] as keyof typeof schemaOfState;
    const schema: Parameters<typeof parseStepInput>[0] = schemaOfState[state];
    expect(() => parseStepInput(schema, input, state)).not.toThrow();
  });
});

describe('a redrive across a deploy completes what the previous release started', () => {
  it('ActivateTenant and SendProvisionSuccess finish an onboarding whose lock the previous release took', async () => {
    const activate = recorded.taskInputs['onboarding/ActivateTenant/advanced']!;
    const request = activate.request as { tenantId: string; executionArn: string; registrationId: string };
    const active = recorded.registryAfterOnboarding.find((item) => item.tenantId === request.tenantId)!;
    // The record as the previous release left it mid-onboarding: its lock has no attempt.
    const { completed: _completed, tenantConfig: _tenantConfig, ...inFlight } = active;
    await putItems([
      {
        ...inFlight,
        status: 'ONBOARDING',
        completed: {},
        lock: {
          operation: 'onboarding',
          registrationId: request.registrationId,
          executionArn: request.executionArn,
          acquiredAt: '2026-12-04T18:16:29.807Z',
        },
      },
    ]);

    const completion = (await invoke('complete-operation', activate)) as { tenantConfig: string };
    await invoke('send-reply', {
      ...recorded.taskInputs['onboarding/SendProvisionSuccess/advanced'],
      tenantConfig: completion.tenantConfig,
    });

    expect(await tenantRecord(runtime, request.tenantId)).toMatchObject({
      status: 'ACTIVE',
      lastCompletion: { executionArn: request.executionArn },
    });
    expect(kinds(runtime.replies())).toEqual(['sbt_aws_provisionSuccess']);
  });

  it('SendProvisionSuccess confirms an onboarding the previous release completed (no lastCompletion on the record)', async () => {
    await putItems(recorded.registryAfterOnboarding);
    const reply = recorded.taskInputs['onboarding/SendProvisionSuccess/basic']!;

    await invoke('send-reply', reply);

    expect(kinds(runtime.replies())).toEqual(['sbt_aws_provisionSuccess']);
  });

  it('a DELETED record of the previous release refuses an older onboarding and accepts a newer one', async () => {
    await putItems(recorded.registryAfterOffboarding);
    const deleted = recorded.registryAfterOffboarding.find((item) => item.status === 'DELETED')!;
    const event = JSON.parse(
      readFileSync(new URL('../../events/samples/onboarding-premium.json', import.meta.url), 'utf8'),
    ) as Record<string, unknown>;
    expect((event.detail as { tenantId: string }).tenantId).toBe(deleted.tenantId);

    // A new registration: the recorded one completed already (a re-sent request of it is a duplicate).
    const detail = { ...(event.detail as object), tenantRegistrationId: 'registration-after-deploy' };
    const older = await runtime.send(
      { ...event, detail, id: 'previous-release-older', time: '2026-11-20T09:00:00Z' },
      { wait: true },
    );
    const newer = await runtime.send(
      { ...event, detail, id: 'previous-release-newer', time: '2026-11-20T11:00:00Z' },
      { wait: true },
    );

    expect(older.execution?.status).toBe('SUPERSEDED');
    expect(newer.execution?.status).toBe('SUCCEEDED');
    expect(kinds(runtime.replies())).toEqual(['sbt_aws_provisionSuccess']);
  });
});
