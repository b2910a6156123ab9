/**
 * Commands against a deployed orchestrator (`--aws [--stack NAME] [--region R]`): the listings
 * `tenants`, `executions`, `fleet` and `history`, read from the stack's registry table and workflows
 * (read-model.ts), `pin` / `unpin` and `index-tenants`; the same tables, `--json` and exit codes as on the local
 * runtime. Credentials and region come from the environment, as for the AWS CLI.
 */
import { randomUUID } from 'node:crypto';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Command } from '../args.ts';
import {
  printExecutions,
  printHistory,
  printTenants,
  runCommand,
  type ListingContext,
  type RuntimeCommand,
} from '../commands.ts';
import type { CliContext } from '../context.ts';
import { setTenantPinned } from '../../functions/shared/registry/pins.ts';
import { backfillTenantList } from '../../functions/shared/registry/tenant-list.ts';
import { ExitCode, InputError } from '../exit-codes.ts';
import { visibleText } from '../format.ts';
import { driftChecksStarted, printFindings, printFleet } from '../fleet.ts';
import {
  AwsSetupError,
  defaultStackName,
  type Deployment,
  readDeployment,
  setupProblem,
  type AwsTarget,
} from './deployment.ts';
import {
  findExecution,
  maxExecutionsPerWorkflow,
  readExecutions,
  readHistory,
  readTenants,
  type ReadClients,
} from './read-model.ts';
import { AwsRuntime, defaultExecutionWait, type ExecutionWait } from './runtime.ts';
import { type AwsRolloutCommand, runAwsRollout } from './rollout.ts';
import { runSmoke, type SmokeOptions } from './smoke.ts';
import { loadTierCatalogFile } from '../../infra/config.ts';
import { findDrift } from '../../functions/reconcile/findings.ts';
import { repairFindings } from '../../functions/reconcile/repair.ts';
import { readSnapshot } from '../../functions/reconcile/snapshot.ts';
import { maxStackDriftChecksPerRun, readRouteListeners } from '../../functions/shared/config/environment.ts';
import { startDriftChecks, stacksToCheck } from '../../functions/reconcile/stack-drift.ts';

/** A command against a deployed stack. */
export type AwsCommand =
  | { readonly kind: 'pin' | 'unpin'; readonly tenant: string; readonly aws: AwsTarget }
  | { readonly kind: 'tenants' | 'executions' | 'fleet'; readonly json: boolean; readonly aws: AwsTarget }
  | { readonly kind: 'history'; readonly execution: string; readonly json: boolean; readonly aws: AwsTarget }
  | {
      readonly kind: 'reconcile';
      readonly json: boolean;
      readonly repair: boolean;
      readonly detectDrift: boolean;
      readonly aws: AwsTarget;
    }
  | { readonly kind: 'index-tenants'; readonly aws: AwsTarget }
  | AwsRolloutCommand
  | StartCommand;

/** A command that starts work, against a deployed stack. */
export type StartCommand = Extract<
  Command,
  {
    kind:
      | 'onboard'
      | 'offboard'
      | 'suspend'
      | 'resume'
      | 'update'
      | 'send'
      | 'replay'
      | 'redrive'
      | 'dead-letters'
      | 'smoke';
  }
> & { readonly aws: AwsTarget };

/** The clients of a region (tests hand in mocked ones). */
export interface AwsClients extends ReadClients {
  readonly cloudFormation: CloudFormationClient;
  readonly eventBridge: EventBridgeClient;
  readonly sqs: SQSClient;
}

/** What the commands that start work need beyond a listing's context. */
export type AwsCommandContext = ListingContext &
  Partial<Pick<CliContext, 'progress' | 'newId' | 'now'>> & {
    /** How executions are waited for (tests: fake time). */
    readonly executionWait?: ExecutionWait;
    /** How long the smoke test waits for replies (tests: shorter). */
    readonly smokeDeadlines?: SmokeOptions['deadlines'];
  };

/** `--aws [--stack NAME] [--region R]` as the hints repeat it. */
export function awsOptionsText(target: AwsTarget): string {
  return [
    '--aws',
    ...(target.stack !== defaultStackName ? [`--stack ${target.stack}`] : []),
    ...(target.region !== undefined ? [`--region ${target.region}`] : []),
  ].join(' ');
}

/** Shown after an outcome instead of the local runtime's reply lines. */
export const awsReplyNote = "its reply goes to the control plane's bus; this command does not read it";

/** A deployed stack's executions report no state events here: the outcome is told once they end. */
const noProgress: CliContext['progress'] = { onEvent: () => {}, section: (work) => work(), shown: false };

/** The SDK's default clients for `region` (or the environment's region). */
export function defaultAwsClients(region: string | undefined): AwsClients {
  const config = region !== undefined ? { region } : {};
  return {
    cloudFormation: new CloudFormationClient(config),
    eventBridge: new EventBridgeClient(config),
    sqs: new SQSClient(config),
    documents: DynamoDBDocumentClient.from(new DynamoDBClient(config)),
    stepFunctions: new SFNClient(config),
  };
}

/**
 * `reconcile --aws [--repair]`: the comparison the scheduled reconcile function makes, run here with
 * the operator's credentials against the stack's registry, listeners and tenant stacks (its
 * outputs say where they are), through the same adapters; `--repair` makes the same safe repairs as
 * on the local runtime, deleting orphaned stacks with the tenant stack role.
 */
async function reconcileDeployment(
  context: AwsCommandContext,
  deployment: Deployment,
  command: Extract<AwsCommand, { kind: 'reconcile' }>,
): Promise<ExitCode> {
  const outputs = deployment.reconcile;
  if (outputs === undefined)
    throw new AwsSetupError(
      `stack ${deployment.stackName} has no TenantStackNamePrefix, RouteListeners and TenantStackRoleArn outputs: deploy this release to reconcile it`,
    );
  // The adapters use the functions' own clients, which take their region from the environment.
  if (command.aws.region !== undefined) process.env.AWS_REGION = command.aws.region;
  const snapshot = await readSnapshot({
    registryTableName: deployment.registryTableName,
    listeners: readRouteListeners({ ROUTE_LISTENERS: outputs.routeListeners }),
    stackNamePrefix: outputs.stackNamePrefix,
  });
  if (command.detectDrift)
    driftChecksStarted(context, (await startDriftChecks(stacksToCheck(snapshot, maxStackDriftChecksPerRun))).length);
  const findings = command.repair
    ? await repairFindings(snapshot, findDrift(snapshot), {
        registryTableName: deployment.registryTableName,
        cloudFormationRoleArn: outputs.tenantStackRoleArn,
        runId: (context.newId ?? randomUUID)(),
        now: (context.now ?? (() => new Date()))(),
      })
    : findDrift(snapshot);
  for (const tenant of snapshot.tenants)
    if (tenant.tenantName !== undefined) context.tenantNames.set(tenant.tenantId, tenant.tenantName);
  return printFindings(context, findings, command.json, command.repair);
}

/** Runs one listing against the stack `command.aws` names; a setup problem is one line and exit 2. */
export async function runAwsCommand(
  context: AwsCommandContext,
  command: AwsCommand,
  clients: AwsClients,
): Promise<ExitCode> {
  try {
    const deployment = await readDeployment(clients.cloudFormation, command.aws);
    switch (command.kind) {
      case 'onboard':
      case 'offboard':
      case 'suspend':
      case 'resume':
      case 'update':
      case 'send':
      case 'replay':
      case 'redrive':
      case 'dead-letters':
      case 'smoke': {
        const runtime = new AwsRuntime(clients, deployment, {
          respell: command.kind !== 'send',
          wait: context.executionWait ?? defaultExecutionWait,
          ...(command.json
            ? {}
            : {
                onWaiting: ({ name, workflow }) =>
                  context.output.error(
                    `waiting for ${workflow} execution ${name} to end (Ctrl-C stops waiting; the execution runs on)`,
                  ),
              }),
        });
        const cli: CliContext = {
          ...context,
          runtime,
          progress: context.progress ?? noProgress,
          newId: context.newId ?? randomUUID,
          now: context.now ?? (() => new Date()),
          hintOptions: awsOptionsText(command.aws),
          replyNote: awsReplyNote,
        };
        if (command.kind === 'smoke')
          return await runSmoke(
            { output: context.output, program: context.program, newId: cli.newId, now: cli.now },
            runtime,
            clients,
            deployment,
            {
              // The tiers this checkout's catalog deploys (functions/shared/config/tiers.json), or the one asked for.
              tiers: command.tier !== undefined ? [command.tier] : Object.keys(loadTierCatalogFile().tiers),
              json: command.json,
              wait: context.executionWait ?? defaultExecutionWait,
              ...(context.smokeDeadlines !== undefined ? { deadlines: context.smokeDeadlines } : {}),
            },
          );
        try {
          if (command.kind === 'replay' || command.kind === 'redrive') await runtime.load(command.execution);
          if (command.kind === 'dead-letters') await runtime.loadDeadLetters();
          return await runCommand(cli, command as RuntimeCommand);
        } catch (error) {
          if (!(error instanceof InputError)) throw error;
          context.output.error(`error: ${error.message}`);
          return ExitCode.usage;
        }
      }
      case 'tenants':
        return printTenants(context, await readTenants(clients, deployment), command.json);
      case 'fleet':
        return printFleet(context, await readTenants(clients, deployment), command.json);
      case 'pin':
      case 'unpin': {
        const pinned = command.kind === 'pin';
        const outcome = await setTenantPinned(
          deployment.registryTableName,
          command.tenant,
          pinned,
          new Date(),
          clients.documents,
        );
        if (outcome !== 'done') {
          context.output.error(
            `error: ${outcome === 'unknown-tenant' ? `no tenant ${visibleText(command.tenant)} in stack ${deployment.stackName}` : `tenant ${visibleText(command.tenant)} was offboarded: there is nothing to ${command.kind}`}`,
          );
          return ExitCode.usage;
        }
        context.output.line(`${pinned ? 'pinned' : 'unpinned'} ${visibleText(command.tenant)}`);
        return ExitCode.ok;
      }
      case 'reconcile':
        return await reconcileDeployment(context, deployment, command);
      case 'index-tenants': {
        // Once after the upgrade that added the tenant list (docs/operate.md "Upgrade"); again is harmless.
        const { listed, readyAt } = await backfillTenantList(
          deployment.registryTableName,
          new Date(),
          clients.documents,
        );
        context.output.line(
          `put ${listed} tenant record${listed === 1 ? '' : 's'} of earlier releases on the tenant list of ${deployment.stackName}; the list is complete since ${readyAt}`,
        );
        return ExitCode.ok;
      }
      case 'rollout':
        return await runAwsRollout(context, clients, deployment, command);
      case 'executions': {
        const { runs, truncated } = await readExecutions(clients, deployment);
        const tenants = command.json ? [] : await readTenants(clients, deployment);
        const code = printExecutions(context, runs, tenants, command.json);
        if (truncated)
          context.output.error(
            `note: only the newest ${maxExecutionsPerWorkflow} executions of each workflow are listed`,
          );
        return code;
      }
      case 'history': {
        const run = await findExecution(clients, deployment, command.execution);
        if (run === undefined) {
          context.output.error(
            `error: no execution named ${command.execution} in stack ${deployment.stackName} (see: ${context.program} executions --aws)`,
          );
          return ExitCode.usage;
        }
        const history = await readHistory(clients, run.execution.executionArn);
        const tenants = command.json ? [] : await readTenants(clients, deployment);
        return printHistory(context, run.execution, history, tenants, command.json);
      }
    }
  } catch (error) {
    const problem = setupProblem(error, command.aws);
    if (!(problem instanceof AwsSetupError)) throw problem;
    context.output.error(`error: ${problem.message}`);
    return ExitCode.usage;
  }
}
