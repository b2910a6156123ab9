/**
 * The local target: the embedded local runtime itself (local/runtime/runtime.ts), opened on a
 * throwaway state folder. Opening it attaches the local cloud, the execution store and the local
 * bus inside the handlers' singleton SDK clients and starts dynalite for DynamoDB, exactly as
 * `npm start` and the workflow tests do, so the scenarios' calls take the runtime's own path.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  readCloudFormationRoleArn,
  readRegistryTableName,
  readRouteListeners,
  readStackConfig,
} from '../../functions/shared/config/environment.ts';
import { openLocalRuntime } from '../../local/runtime/runtime.ts';
import { localStateMachineArn } from '../../local/workflow-runner.ts';
import type { World } from './world.ts';

/**
 * Stack and service durations: long enough that a first look sees the IN_PROGRESS states even on
 * a loaded machine (the scenarios look within a few hundred milliseconds), short enough for a quick run.
 */
const timings = { createMs: 2000, deleteMs: 1500, startMs: 3000, waitMs: 50 } as const;

export const missingListenerArn =
  'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/missing/0123456789abcdef/0123456789abcdef';
export const missingTargetGroupArn =
  'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/missing/0123456789abcdef';

export async function openLocalWorld(): Promise<World> {
  const stateDirectory = mkdtempSync(join(tmpdir(), 'differential-local-'));
  const runtime = await openLocalRuntime({
    stateDirectory,
    timings,
    routeListeners: { count: 2, capacity: 100 },
    sweepAfterFailures: false,
  });
  const [first, second] = readRouteListeners();
  if (first === undefined || second === undefined)
    throw new Error('the local runtime configured fewer than two listeners');
  const stackConfig = readStackConfig();
  const aliases: Record<string, string> = {
    [first.listenerArn]: '<listener-1>',
    [second.listenerArn]: '<listener-2>',
    [first.pooledTargetGroupArn]: '<pooled-target-group-1>',
    [second.pooledTargetGroupArn]: '<pooled-target-group-2>',
  };
  for (const [key, value] of Object.entries(stackConfig.sharedParameters)) aliases[value] = `<${key}>`;
  return {
    target: 'local',
    listeners: [first, second],
    missingListenerArn,
    missingTargetGroupArn,
    sharedCluster: stackConfig.sharedParameters.SharedClusterName ?? 'shared-tenants',
    registryTable: readRegistryTableName(),
    stateMachineArn: localStateMachineArn('onboarding'),
    eventBusName: process.env.EVENT_BUS_NAME ?? 'saas-bus',
    stackConfig,
    cloudFormationRoleArn: readCloudFormationRoleArn(),
    aliases,
    async close() {
      await runtime.close();
      rmSync(stateDirectory, { recursive: true, force: true });
    },
  };
}
