/**
 * The runtime's answers to the handlers' own SDK clients, for the calls issue 10's workflows will
 * make: UpdateStack of a tenant stack and ModifyRule of a tenant rule, answered by the local cloud
 * with its results and its exceptions, and seen by the next call, by `resources()` and by a runtime
 * reopened on the saved state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeStacksCommand,
  UpdateStackCommand,
  type Parameter,
  type UpdateStackCommandInput,
} from '@aws-sdk/client-cloudformation';
import { ModifyRuleCommand, RuleNotFoundException } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readSample } from '../../../../events/samples.ts';
import { cloudFormationClient, elbClient } from '../../../../functions/shared/aws/clients.ts';
import { suspendedResponse, TemplateParameter } from '../../../../functions/shared/config/template-parameters.ts';
import type { EmbeddedRuntime } from '../../../../local/runtime/api.ts';
import { openLocalRuntime } from '../../../../local/runtime/runtime.ts';

/** Services run from their first look, so no count depends on the machine's speed. */
const timings = { createMs: 20, deleteMs: 20, updateMs: 1_000, startLooks: 0, waitMs: 5 } as const;

let directory: string;
let runtime: EmbeddedRuntime;
beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), 'service-answers-'));
  runtime = await openLocalRuntime({ stateDirectory: directory, timings });
});
afterEach(async () => {
  vi.useRealTimers();
  await runtime.close();
  rmSync(directory, { recursive: true, force: true });
});

const silo = readSample('onboarding-advanced');
const siloTenant = String(silo.detail.tenantId);
const pooled = readSample('onboarding-basic');
const pooledTenant = String(pooled.detail.tenantId);

/** The tenant's stack name, as the cloud lists it. */
function stackOf(tenantId: string): string {
  const stack = runtime.resources().stacks.find((candidate) => candidate.tags.tenantId === tenantId);
  if (stack === undefined) throw new Error(`no stack for ${tenantId}`);
  return stack.stackName;
}

const ruleOf = (tenantId: string) => runtime.resources().rules.find((rule) => rule.tenantId === tenantId);
const servicesOf = (tenantId: string) =>
  runtime.resources().services.filter((service) => service.serviceName.includes(tenantId));

/** An UpdateStack of the previous template: every parameter kept (UsePreviousValue) but `changed`. */
async function parameterUpdate(stackName: string, changed: Record<string, string>): Promise<UpdateStackCommandInput> {
  const { Stacks } = await cloudFormationClient().send(new DescribeStacksCommand({ StackName: stackName }));
  const [stack] = Stacks ?? [];
  const kept: Parameter[] = (stack?.Parameters ?? [])
    .filter((parameter) => parameter.ParameterKey !== undefined && !(parameter.ParameterKey in changed))
    .map((parameter) => ({ ParameterKey: parameter.ParameterKey, UsePreviousValue: true }));
  return {
    StackName: stackName,
    UsePreviousTemplate: true,
    Capabilities: stack?.Capabilities ?? [],
    Parameters: [
      ...kept,
      ...Object.entries(changed).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
    ],
  };
}

async function statusOf(stackName: string): Promise<string | undefined> {
  const { Stacks } = await cloudFormationClient().send(new DescribeStacksCommand({ StackName: stackName }));
  return Stacks?.[0]?.StackStatus;
}

/** Moves the simulators' clock (Date only: the runtime's own timers and DynamoDB keep real time). */
function advance(ms: number): void {
  vi.setSystemTime(Date.now() + ms);
}

describe('UpdateStack through the handlers’ CloudFormation client', () => {
  it('suspends a silo tenant (TenantSuspended=true, the rest UsePreviousValue) and resumes it', async () => {
    await runtime.send(silo, { wait: true });
    const stackName = stackOf(siloTenant);
    const before = ruleOf(siloTenant);
    const running = servicesOf(siloTenant);
    expect(before?.action).toMatchObject({ type: 'forward', targetGroupArn: expect.stringContaining(':targetgroup/') });
    expect(running.length).toBeGreaterThan(0);
    expect(running.every((service) => service.desiredCount > 0)).toBe(true);
    vi.useFakeTimers({ toFake: ['Date'] });

    const suspended = await cloudFormationClient().send(
      new UpdateStackCommand(await parameterUpdate(stackName, { [TemplateParameter.tenantSuspended]: 'true' })),
    );

    expect(suspended.StackId).toContain(`:stack/${stackName}/`);
    expect(await statusOf(stackName)).toBe('UPDATE_IN_PROGRESS');
    // The services' updates come after the rule's: ECS sees nothing yet.
    expect(servicesOf(siloTenant)).toEqual(running);
    advance(timings.updateMs + 1_000);
    expect(await statusOf(stackName)).toBe('UPDATE_COMPLETE');
    expect(ruleOf(siloTenant)).toMatchObject({
      ruleArn: before?.ruleArn,
      priority: before?.priority,
      conditions: before?.conditions,
      action: {
        type: 'fixed-response',
        statusCode: '503',
        contentType: suspendedResponse.contentType,
        messageBody: suspendedResponse.messageBody,
      },
    });
    expect(servicesOf(siloTenant).map((service) => [service.serviceName, service.desiredCount])).toEqual(
      running.map((service) => [service.serviceName, 0]),
    );

    await cloudFormationClient().send(
      new UpdateStackCommand(await parameterUpdate(stackName, { [TemplateParameter.tenantSuspended]: 'false' })),
    );
    advance(timings.updateMs + 1_000);

    expect(await statusOf(stackName)).toBe('UPDATE_COMPLETE');
    expect(ruleOf(siloTenant)?.action).toEqual(before?.action);
    expect(servicesOf(siloTenant).map((service) => [service.serviceName, service.desiredCount])).toEqual(
      running.map((service) => [service.serviceName, service.desiredCount]),
    );
  });

  it("throws the simulator's ValidationError: nothing to update, an unknown stack", async () => {
    await runtime.send(silo, { wait: true });
    const stackName = stackOf(siloTenant);

    const unchanged = await cloudFormationClient()
      .send(new UpdateStackCommand(await parameterUpdate(stackName, {})))
      .catch((error: unknown) => error);
    const unknown = await cloudFormationClient()
      .send(new UpdateStackCommand({ StackName: 'tenant-nobody', UsePreviousTemplate: true }))
      .catch((error: unknown) => error);

    expect(unchanged).toMatchObject({ name: 'ValidationError', message: 'No updates are to be performed.' });
    expect(unknown).toMatchObject({ name: 'ValidationError', message: 'Stack [tenant-nobody] does not exist' });
  });

  it('rolls back an update failed on purpose and keeps it in UPDATE_ROLLBACK_FAILED when the rollback fails too', async () => {
    await runtime.send(silo, { wait: true });
    const stackName = stackOf(siloTenant);
    const before = ruleOf(siloTenant);
    vi.useFakeTimers({ toFake: ['Date'] });
    runtime.failNextStackUpdate(stackName, 'Service failed to stabilize', { rollbackFailureReason: 'Rate exceeded' });

    await cloudFormationClient().send(
      new UpdateStackCommand(await parameterUpdate(stackName, { [TemplateParameter.tenantSuspended]: 'true' })),
    );
    advance(10 * timings.updateMs);

    expect(await statusOf(stackName)).toBe('UPDATE_ROLLBACK_FAILED');
    const refused = await cloudFormationClient()
      .send(new UpdateStackCommand(await parameterUpdate(stackName, { [TemplateParameter.tenantSuspended]: 'false' })))
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining('is in UPDATE_ROLLBACK_FAILED state and can not be updated.'),
    });
    expect(ruleOf(siloTenant)?.ruleArn).toBe(before?.ruleArn);
  });
});

describe('ModifyRule through the handlers’ ELB client', () => {
  it("answers a pooled tenant's rule with a fixed response, then forwards it again", async () => {
    await runtime.send(pooled, { wait: true });
    const rule = ruleOf(pooledTenant);
    expect(rule?.action).toMatchObject({ type: 'forward' });
    const fixedResponse = {
      StatusCode: suspendedResponse.statusCode,
      ContentType: suspendedResponse.contentType,
      MessageBody: suspendedResponse.messageBody,
    };

    const modified = await elbClient().send(
      new ModifyRuleCommand({
        RuleArn: rule?.ruleArn,
        Actions: [{ Type: 'fixed-response', FixedResponseConfig: fixedResponse }],
      }),
    );

    expect(modified.Rules?.[0]).toMatchObject({
      RuleArn: rule?.ruleArn,
      Actions: [{ Type: 'fixed-response', Order: 1, FixedResponseConfig: fixedResponse }],
    });
    expect(ruleOf(pooledTenant)).toEqual({
      ...rule,
      action: {
        type: 'fixed-response',
        statusCode: '503',
        contentType: 'application/json',
        messageBody: suspendedResponse.messageBody,
      },
    });

    const targetGroupArn = rule !== undefined && 'targetGroupArn' in rule.action ? rule.action.targetGroupArn : '';
    await elbClient().send(
      new ModifyRuleCommand({ RuleArn: rule?.ruleArn, Actions: [{ Type: 'forward', TargetGroupArn: targetGroupArn }] }),
    );
    expect(ruleOf(pooledTenant)).toEqual(rule);
  });

  it("throws the simulator's exceptions: an unknown rule, a status code ELB refuses", async () => {
    await runtime.send(pooled, { wait: true });
    const rule = ruleOf(pooledTenant);

    const unknown = await elbClient()
      .send(
        new ModifyRuleCommand({
          RuleArn: `${rule?.ruleArn ?? ''}0`,
          Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } }],
        }),
      )
      .catch((error: unknown) => error);
    const badStatus = await elbClient()
      .send(
        new ModifyRuleCommand({
          RuleArn: rule?.ruleArn,
          Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '302' } }],
        }),
      )
      .catch((error: unknown) => error);

    expect(unknown).toBeInstanceOf(RuleNotFoundException);
    expect(badStatus).toMatchObject({ name: 'ValidationError', message: expect.stringContaining("Value '302'") });
    expect(ruleOf(pooledTenant)).toEqual(rule);
  });
});

describe('an update in flight across close and reopen', () => {
  it('is saved with the state folder and comes due in the reopened runtime', async () => {
    await runtime.send(silo, { wait: true });
    const stackName = stackOf(siloTenant);
    const running = servicesOf(siloTenant);
    vi.useFakeTimers({ toFake: ['Date'] });
    await cloudFormationClient().send(
      new UpdateStackCommand(await parameterUpdate(stackName, { [TemplateParameter.tenantSuspended]: 'true' })),
    );
    expect(await statusOf(stackName)).toBe('UPDATE_IN_PROGRESS');

    await runtime.close();
    runtime = await openLocalRuntime({ stateDirectory: directory, timings });

    expect(await statusOf(stackName)).toBe('UPDATE_IN_PROGRESS');
    expect(servicesOf(siloTenant)).toEqual(running);
    advance(timings.updateMs + 1_000);
    expect(await statusOf(stackName)).toBe('UPDATE_COMPLETE');
    expect(ruleOf(siloTenant)?.action).toMatchObject({ type: 'fixed-response', statusCode: '503' });
    expect(servicesOf(siloTenant).every((service) => service.desiredCount === 0)).toBe(true);
  });
});
