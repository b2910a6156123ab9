/**
 * Commands against a deployed orchestrator (`--aws [--stack NAME] [--region R]`): the listings
 * `tenants`, `executions`, `fleet` and `history`, read from the stack's registry table and workflows
 * (read-model.ts), and `pin` / `unpin`; the same tables, `--json` and exit codes as on the local
 * runtime. Credentials and region come from the environment, as for the AWS CLI.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { printExecutions, printHistory, printTenants, type ListingContext } from '../commands.ts';
import { setTenantPinned } from '../../functions/shared/registry/pins.ts';
import { ExitCode } from '../exit-codes.ts';
import { visibleText } from '../format.ts';
import { printFleet } from '../fleet.ts';
import { AwsSetupError, readDeployment, setupProblem, type AwsTarget } from './deployment.ts';
import {
  findExecution,
  maxExecutionsPerWorkflow,
  readExecutions,
  readHistory,
  readTenants,
  type ReadClients,
} from './read-model.ts';

/** A command against a deployed stack. */
export type AwsCommand =
  | { readonly kind: 'pin' | 'unpin'; readonly tenant: string; readonly aws: AwsTarget }
  | { readonly kind: 'tenants' | 'executions' | 'fleet'; readonly json: boolean; readonly aws: AwsTarget }
  | { readonly kind: 'history'; readonly execution: string; readonly json: boolean; readonly aws: AwsTarget };

/** The clients of a region (tests hand in mocked ones). */
export interface AwsClients extends ReadClients {
  readonly cloudFormation: CloudFormationClient;
}

/** The SDK's default clients for `region` (or the environment's region). */
export function defaultAwsClients(region: string | undefined): AwsClients {
  const config = region !== undefined ? { region } : {};
  return {
    cloudFormation: new CloudFormationClient(config),
    documents: DynamoDBDocumentClient.from(new DynamoDBClient(config)),
    stepFunctions: new SFNClient(config),
  };
}

/** Runs one listing against the stack `command.aws` names; a setup problem is one line and exit 2. */
export async function runAwsCommand(
  context: ListingContext,
  command: AwsCommand,
  clients: AwsClients,
): Promise<ExitCode> {
  try {
    const deployment = await readDeployment(clients.cloudFormation, command.aws);
    switch (command.kind) {
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
