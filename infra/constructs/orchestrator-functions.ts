/**
 * Every function of functions/lambda-functions.ts, each with exactly the environment its handler
 * reads and the permissions of the calls it makes, and the schedules that run the failure sweep and
 * the reconciliation.
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { eventFunctions, workflowFunctions } from '../../functions/lambda-functions.ts';
import { reconcileSchedule } from '../../functions/reconcile/schedule.ts';
import { sweepSchedule } from '../../functions/sweep-failures/sweep.ts';
import type { EnvironmentSetting } from '../../functions/shared/config/environment.ts';
import { functionEnvironment, type FunctionDirectory } from './function-environment.ts';
import { functionPermissions, type FunctionTargets } from './function-permissions.ts';
import { OrchestratorFunction } from './orchestrator-function.ts';

/** Properties of {@link OrchestratorFunctions}. */
export interface OrchestratorFunctionsProps {
  /** Repository root (functions/, package-lock.json). */
  readonly projectRoot: string;
  /** Value of every setting any handler reads from its environment. */
  readonly settings: Readonly<Record<EnvironmentSetting, string>>;
  /** What the functions act on. */
  readonly targets: FunctionTargets;
  /** Retention of the functions' logs. */
  readonly logRetention: logs.RetentionDays;
}

const eventDirectories = new Set<string>(Object.values(eventFunctions));
/** Timeout of the functions outside the workflows (the failure reporter), in seconds. */
const eventFunctionTimeoutSeconds = 60;
/**
 * The reconciliation reads every rule's tags (one DescribeTags per rule: up to 100 rules per load
 * balancer), every stack page and every ACTIVE tenant's services, one call after the other.
 */
const reconcileTimeoutSeconds = 300;

/** `accept-request` -> `AcceptRequest`: construct ids readable in the console. */
function pascalCase(directory: string): string {
  return directory.replace(/(^|-)([a-z0-9])/g, (_, __, letter: string) => letter.toUpperCase());
}

/** All orchestrator functions, by directory under functions/. */
export class OrchestratorFunctions extends Construct {
  public readonly byDirectory: Readonly<Record<FunctionDirectory, OrchestratorFunction>>;
  /** The schedule rule (default bus) that runs the failure sweep every few minutes. */
  public readonly failureSweepSchedule: events.Rule;
  /** The schedule rule (default bus) that runs the reconciliation every hour. */
  public readonly reconcileSchedule: events.Rule;

  constructor(scope: Construct, id: string, props: OrchestratorFunctionsProps) {
    super(scope, id);
    const directories: FunctionDirectory[] = [
      ...new Set([...Object.values(workflowFunctions), ...Object.values(eventFunctions)]),
    ];
    const created: Partial<Record<FunctionDirectory, OrchestratorFunction>> = {};
    for (const directory of directories) {
      const permissions = functionPermissions[directory];
      const fn = new OrchestratorFunction(this, pascalCase(directory), {
        directory,
        projectRoot: props.projectRoot,
        environment: functionEnvironment(directory, props.settings),
        logRetention: props.logRetention,
        ...(permissions.anyResourceReason !== undefined ? { anyResourceReasons: [permissions.anyResourceReason] } : {}),
        // The failure reporter and the sweep read execution histories and lists, outside the workflows.
        ...(directory === eventFunctions.reconcile || directory === eventFunctions.indexTenants
          ? { timeoutSeconds: reconcileTimeoutSeconds }
          : eventDirectories.has(directory)
            ? { timeoutSeconds: eventFunctionTimeoutSeconds }
            : {}),
      });
      permissions.grant(fn.role, props.targets);
      created[directory] = fn;
    }
    this.byDirectory = created as Record<FunctionDirectory, OrchestratorFunction>;
    this.failureSweepSchedule = this.scheduleFailureSweep(this.get(eventFunctions.sweepFailures));
    this.reconcileSchedule = this.scheduleReconcile(this.get(eventFunctions.reconcile));
  }

  /**
   * Runs the reconciliation every `reconcileSchedule.intervalMinutes`. It is read-only and each run
   * compares everything again, so a failed run is not retried: the next one covers it.
   */
  private scheduleReconcile(reconcile: OrchestratorFunction): events.Rule {
    return this.schedule(reconcile, 'ReconcileSchedule', {
      description: 'Runs the reconciliation: compares the tenant registry with the account and reports the findings',
      intervalMinutes: reconcileSchedule.intervalMinutes,
      deliveryRetries: 0,
    });
  }

  /**
   * Runs the sweep every `sweepSchedule.intervalMinutes`. A failed run is not retried: the next
   * run covers the same window (each looks back `sweepSchedule.lookbackMinutes`), and the sweep's
   * error alarm tells an operator when runs keep failing.
   */
  private scheduleFailureSweep(sweep: OrchestratorFunction): events.Rule {
    return this.schedule(sweep, 'FailureSweepSchedule', {
      description: 'Runs the failure sweep: replies to failed executions whose status event was not delivered',
      intervalMinutes: sweepSchedule.intervalMinutes,
      deliveryRetries: 2,
    });
  }

  /**
   * A schedule rule (default bus) that invokes `fn` every `intervalMinutes`. A run that fails is
   * not retried by Lambda (the next run does its work); EventBridge retries a failed delivery
   * `deliveryRetries` times within the interval.
   */
  private schedule(
    fn: OrchestratorFunction,
    id: string,
    options: { readonly description: string; readonly intervalMinutes: number; readonly deliveryRetries: number },
  ): events.Rule {
    const interval = Duration.minutes(options.intervalMinutes);
    fn.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: interval });
    return new events.Rule(this, id, {
      description: options.description,
      schedule: events.Schedule.rate(interval),
      targets: [
        new targets.LambdaFunction(fn.function, {
          retryAttempts: options.deliveryRetries,
          ...(options.deliveryRetries > 0 ? { maxEventAge: interval } : {}),
        }),
      ],
    });
  }

  /** The function deployed from a directory under functions/. */
  public get(directory: FunctionDirectory): OrchestratorFunction {
    return this.byDirectory[directory];
  }
}
