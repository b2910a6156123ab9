/**
 * The one fixture of the workflow tests: the embedded local runtime (real ASL, real handlers,
 * simulated cloud) on a throwaway state folder, and ways to look at everything it holds, so a test
 * can assert what an execution did and that nothing leaked (stacks, listener rules, route
 * priorities, stack-operation slots).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import {
  cloudFormationClient,
  dynamoDbClient,
  dynamoDbDocumentClient,
  ecsClient,
  elbClient,
  eventBridgeClient,
} from '../../functions/shared/aws/clients.ts';
import { readRegistryTableName } from '../../functions/shared/config/environment.ts';
import type {
  EmbeddedRuntime,
  ExecutionSummary,
  LocalRuntime,
  LocalRuntimeOptions,
  ReceivedReply,
} from '../../local/runtime/api.ts';
import { openLocalRuntime } from '../../local/runtime/runtime.ts';
import { clearSdkFaults } from '../../local/sdk-faults.ts';

/**
 * Tiny simulated durations: every workflow still polls, waits and retries, in milliseconds.
 * Services run from their first look (`startLooks: 0`): how many looks the service check takes never
 * depends on how fast the machine is.
 */
export const fastTimings = { createMs: 20, deleteMs: 20, startLooks: 0, waitMs: 5 } as const;

/** A runtime on a fresh temporary folder; `dispose` closes it and removes the folder. */
export async function openTestRuntime(options: Omit<LocalRuntimeOptions, 'stateDirectory'> = {}) {
  const directory = mkdtempSync(join(tmpdir(), 'workflow-'));
  const runtime = await openLocalRuntime({ timings: fastTimings, ...options, stateDirectory: directory });
  return {
    runtime,
    async dispose() {
      await runtime.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/**
 * One runtime for a whole test file: opened before its first test, reset before each test, every
 * injected fault (the runtime's and the handlers' SDK clients') cleared after each, closed at the end.
 */
export function useSharedTestRuntime() {
  let opened: Awaited<ReturnType<typeof openTestRuntime>> | undefined;
  const runtime = (): EmbeddedRuntime => {
    if (opened === undefined) throw new Error('the shared test runtime is used outside a test');
    return opened.runtime;
  };
  beforeAll(async () => {
    opened = await openTestRuntime();
  });
  beforeEach(() => runtime().reset());
  afterEach(() => {
    clearClientFaults();
    runtime().clearFaults();
  });
  afterAll(() => opened?.dispose());
  return {
    get runtime() {
      return runtime();
    },
    /** Puts the request on the bus and waits for its execution (and, when it failed, the failure reply). */
    async run(event: unknown): Promise<ExecutionSummary> {
      const { execution } = await runtime().send(event, { wait: true });
      if (execution === undefined) throw new Error('the request started no execution');
      return execution;
    },
  };
}

/** The detail types of replies, in arrival order. */
export const kinds = (replies: readonly ReceivedReply[]) => replies.map((reply) => reply.detailType);

/** What a reply's `jobOutput` holds (SBT's contract, docs/contract.md). */
interface JobOutput {
  readonly tenantRegistrationData?: Record<string, string | null>;
  readonly tenantData?: { readonly tenantConfig?: string };
}

/** `jobOutput.tenantRegistrationData` of a reply. */
export function registrationData(reply: ReceivedReply | undefined): Record<string, string | null> | undefined {
  return (reply?.detail.jobOutput as JobOutput | undefined)?.tenantRegistrationData;
}

/** `jobOutput.tenantData.tenantConfig` of a success reply, parsed. */
export function tenantConfig(reply: ReceivedReply | undefined): Record<string, unknown> | undefined {
  const text = (reply?.detail.jobOutput as JobOutput | undefined)?.tenantData?.tenantConfig;
  return text === undefined ? undefined : (JSON.parse(text) as Record<string, unknown>);
}

/** The states an execution entered, in order. */
export function enteredStates(runtime: LocalRuntime, executionArn: string): string[] {
  return runtime
    .history(executionArn)
    .filter((entry) => entry.type === 'StateEntered')
    .map((entry) => entry.state ?? '');
}

/** Removes every fault injected into the handlers' SDK clients (see local/sdk-faults.ts). */
export function clearClientFaults(): void {
  for (const client of [dynamoDbClient(), cloudFormationClient(), elbClient(), ecsClient(), eventBridgeClient()])
    clearSdkFaults(client);
}

/** The last state an execution entered: where it ended (or failed). */
export function lastState(runtime: LocalRuntime, executionArn: string): string | undefined {
  return runtime
    .history(executionArn)
    .filter((entry) => entry.type === 'StateEntered')
    .at(-1)?.state;
}

/** The tenant's stacks, listener rules and active services in the local cloud. */
export function cloudResourcesOf(runtime: LocalRuntime, tenantId: string) {
  const resources = runtime.resources();
  return {
    stacks: resources.stacks.filter((stack) => stack.tags.tenantId === tenantId),
    rules: resources.rules.filter((rule) => rule.tenantId === tenantId),
    services: resources.services.filter((service) => service.serviceName.includes(tenantId)),
  };
}

/** Every item of the registry table (tenant records, route priorities, stack-operation slots). */
export async function registryItems(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamoDbDocumentClient().send(
      new ScanCommand({ TableName: readRegistryTableName(), ConsistentRead: true, ExclusiveStartKey }),
    );
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey !== undefined);
  return items;
}

/** What the registry holds beside tenant records: claimed route priorities and held stack slots. */
export async function registryLeftovers(): Promise<{
  priorities: Record<string, unknown>[];
  slots: Record<string, unknown>[];
}> {
  const items = await registryItems();
  return {
    priorities: items.filter((item) => String(item.pk).startsWith('LISTENER#')),
    slots: items.filter((item) => String(item.pk).startsWith('ADMISSION#')),
  };
}

/** The registry's record of one tenant (status, lock, plan...), undefined when there is none. */
export async function tenantRecord(runtime: LocalRuntime, tenantId: string) {
  return (await runtime.tenants()).find((tenant) => tenant.tenantId === tenantId);
}

/** A copy of an event with its detail changed (fields set to `undefined` are removed). */
export function withDetail<T extends { detail: Record<string, unknown> }>(
  event: T,
  changes: Record<string, unknown>,
): T {
  const detail: Record<string, unknown> = { ...event.detail, ...changes };
  for (const [key, value] of Object.entries(changes)) if (value === undefined) delete detail[key];
  return { ...event, detail };
}
