/**
 * How a rollout scales on the local runtime: onboards N silo-services tenants, rolls 1.1.0 out to
 * all of them (waves 1,10%,100%, concurrency 20, the most a page of 20 allows, no bake) and prints the wall-clock time, the
 * executions it ran, the largest history (state transitions) and the largest state (execution
 * input or output) of any rollout execution. Local figures: simulated stacks and services take
 * milliseconds, so they say how the workflows' shape grows with the fleet, not how long AWS takes.
 *
 *   npx tsx bench/rollout-scale.ts [N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { onboardingEvent } from '../cli/requests.ts';
import type { RolloutState } from '../functions/rollout/progress.ts';
import { openLocalRuntime } from '../local/runtime/runtime.ts';

const count = Number(process.argv[2] ?? 200);
const directory = mkdtempSync(join(tmpdir(), 'rollout-scale-'));
const runtime = await openLocalRuntime({
  stateDirectory: directory,
  timings: { createMs: 20, deleteMs: 20, startLooks: 0, waitMs: 5 },
  routeListeners: { count: Math.ceil(count / 90) + 1, capacity: 100 },
});
try {
  const onboardStart = performance.now();
  const base = Date.now() - 86_400_000;
  for (let index = 0; index < count; index += 1) {
    const tenantId = `s${index}-${randomUUID().slice(0, 6)}`;
    await runtime.send(
      onboardingEvent(
        { tenantId, registrationId: randomUUID(), tenantName: `scale ${index}`, tier: 'advanced' },
        randomUUID(),
        new Date(base + index * 1000),
      ),
    );
  }
  await runtime.drain();
  const onboarded = (await runtime.tenants()).filter((tenant) => tenant.status === 'ACTIVE').length;
  const onboardSeconds = (performance.now() - onboardStart) / 1000;

  const started = performance.now();
  const execution = await runtime.startRollout(
    {
      rolloutId: `scale-${count}`,
      model: 'silo-services',
      version: '1.1.0',
      waves: [{ count: 1 }, { percent: 10 }, { percent: 100 }],
      concurrency: 20,
      maxFailures: { percent: 5 },
      bakeSeconds: 0,
      alarmNames: [],
    },
    { wait: true },
  );
  const seconds = (performance.now() - started) / 1000;
  const output = runtime.executionOutput(execution.executionArn) as RolloutState | undefined;
  const fleet = runtime.executions().filter((run) => run.workflow === 'rollout' || run.workflow === 'rollout-wave');
  const updates = runtime
    .executions()
    .filter((run) => run.workflow === 'update' && run.name.startsWith(`scale-${count}`));
  const historyOf = (arn: string) => runtime.history(arn).length + 1;
  const stateBytes = (arn: string) => JSON.stringify(runtime.executionOutput(arn) ?? {}).length;
  const largest = (values: number[]) => Math.max(0, ...values);
  const onTarget = (await runtime.tenants()).filter((tenant) => tenant.plan?.templateVersion === '1.1.0').length;
  console.log(
    JSON.stringify(
      {
        tenants: count,
        onboarded,
        onboardSeconds: Math.round(onboardSeconds),
        rollout: {
          status: execution.status,
          outcome: output?.outcome,
          seconds: Math.round(seconds),
          waves: output?.results,
        },
        onTarget,
        childExecutions: fleet.length - 1,
        updateExecutions: updates.length,
        largestHistoryEvents: {
          rollout: historyOf(execution.executionArn),
          waveBatch: largest(
            fleet.filter((run) => run.workflow === 'rollout-wave').map((run) => historyOf(run.executionArn)),
          ),
        },
        largestOutputBytes: {
          rollout: stateBytes(execution.executionArn),
          waveBatch: largest(
            fleet.filter((run) => run.workflow === 'rollout-wave').map((run) => stateBytes(run.executionArn)),
          ),
        },
      },
      null,
      2,
    ),
  );
} finally {
  await runtime.close();
  rmSync(directory, { recursive: true, force: true });
}
