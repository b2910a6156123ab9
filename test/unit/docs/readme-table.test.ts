/**
 * The README's table of steps (state -> function -> unit tests -> IAM grant) checked against what
 * it describes: the Task states of statemachines/*.asl.json and the function each invokes
 * (functions/lambda-functions.ts), the test files under test/unit/functions/<function>/, and the
 * statements infra/constructs/function-permissions.ts grants each function's role. A state, test
 * file or permission added, renamed or removed without the table fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowName } from '../../../events/contract.ts';
import { eventFunctions, workflowFunctions } from '../../../functions/lambda-functions.ts';
import { projectRoot } from '../../../infra/config.ts';
import type { FunctionDirectory } from '../../../infra/constructs/function-environment.ts';
import { functionPermissions, type FunctionTargets } from '../../../infra/constructs/function-permissions.ts';
import { OrchestratorTables } from '../../../infra/constructs/orchestrator-tables.ts';
import {
  fleetWorkflowDefinitionFiles,
  workflowDefinitionFiles,
  workflowExecutionsArn,
  workflowArn,
} from '../../../infra/constructs/workflows.ts';

/** Every workflow's ASL file: the request workflows, then the rollout's two. */
const allDefinitionFiles: Readonly<Record<string, string>> = {
  ...workflowDefinitionFiles,
  ...fleetWorkflowDefinitionFiles,
};

/** The heading the table sits under. */
const tableHeading = '## Steps, functions, tests and permissions';

/** One row of the table, its cells with the Markdown (links, backticks) taken off where it is only markup. */
interface Row {
  readonly workflow: string;
  readonly state: string;
  readonly functionDirectory: string;
  readonly testFiles: readonly string[];
  readonly grant: string;
}

const backticked = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]!);

/** The rows of the first Markdown table after the heading. */
function readmeRows(): Row[] {
  const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n${tableHeading}\n`);
  if (start < 0) throw new Error(`README.md has no "${tableHeading}" section`);
  const lines = readme.slice(start).split('\n').slice(2);
  const firstRow = lines.findIndex((line) => line.startsWith('|'));
  const table: string[] = [];
  for (const line of lines.slice(firstRow)) {
    if (!line.startsWith('|')) break;
    table.push(line);
  }
  // Header and separator first.
  return table.slice(2).map((line) => {
    const cells = line
      .slice(1, -1)
      .split('|')
      .map((cell) => cell.trim());
    expect(cells, line).toHaveLength(5);
    const [workflow, state, fn, tests, grant] = cells as [string, string, string, string, string];
    const functionDirectory = backticked(fn)[0] ?? '';
    // The link must point at the function's directory.
    expect(fn, line).toContain(`](functions/${functionDirectory}/)`);
    return {
      workflow,
      state: backticked(state)[0] ?? state,
      functionDirectory,
      testFiles: backticked(tests),
      grant,
    };
  });
}

// ---------------------------------------------------------------------------
// The states
// ---------------------------------------------------------------------------

interface TaskState {
  readonly workflow: string;
  readonly state: string;
  readonly functionDirectory: string;
}

interface AslState {
  readonly Type: string;
  readonly Resource?: string;
  readonly Parameters?: { readonly FunctionName?: unknown };
  readonly ItemProcessor?: AslStates;
}
interface AslStates {
  readonly States: Record<string, AslState>;
}

/** The states of a definition, those of its Map states' item processors right after the Map. */
function statesOf(definition: AslStates): [string, AslState][] {
  return Object.entries(definition.States).flatMap(([name, state]) => [
    [name, state] as [string, AslState],
    ...(state.ItemProcessor !== undefined ? statesOf(state.ItemProcessor) : []),
  ]);
}

/**
 * Every Task state of every workflow, with the function its `${...Arn}` placeholder names (in
 * Resource, or in FunctionName for a callback Task, `.waitForTaskToken`).
 */
function taskStates(): TaskState[] {
  const placeholders: Readonly<Record<string, string>> = workflowFunctions;
  return Object.entries(allDefinitionFiles).flatMap(([workflow, file]) => {
    const definition = JSON.parse(readFileSync(join(projectRoot, file), 'utf8')) as AslStates;
    return statesOf(definition)
      .filter(([, state]) => state.Type === 'Task')
      .map(([state, { Resource: resource, Parameters: parameters }]) => {
        const Resource =
          resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken' ? String(parameters?.FunctionName) : resource;
        const placeholder = /^\$\{(\w+)\}$/.exec(Resource ?? '')?.[1] ?? '';
        return { workflow, state, functionDirectory: placeholders[placeholder] ?? `no function for ${Resource}` };
      });
  });
}

// ---------------------------------------------------------------------------
// The grants
// ---------------------------------------------------------------------------

/** One permission as the table states it: effect, action and a named resource. */
type Permission = string;
const permission = (effect: string, action: string, resource: string): Permission =>
  `${effect === 'Deny' ? 'deny ' : ''}${action} on ${resource}`;

/**
 * The permissions a grant cell states. A cell is `;`-separated clauses, each
 * ``[deny ]`action`, `action` on <resource>[ (a note)]``; notes (conditions, why) are not checked.
 */
function statedPermissions(cell: string): Permission[] {
  return cell.split(';').flatMap((clause) => {
    const match = /^\s*(deny )?((?:`[^`]+`(?:, )?)+) on ([^(]+?)\s*(?:\(.*\))?\s*$/.exec(clause);
    if (match === null) throw new Error(`Grant clause not understood: "${clause.trim()}"`);
    return backticked(match[2]!).map((action) => permission(match[1] ? 'Deny' : 'Allow', action, match[3]!));
  });
}

/** What function-permissions.ts grants each function, with every resource named as the table names it. */
function grantedPermissions(): Record<FunctionDirectory, Permission[]> {
  const app = new App();
  const stack = new Stack(app, 'Grants', { env: { account: '111122223333', region: 'eu-west-1' } });
  const tables = new OrchestratorTables(stack, 'Tables');
  const bus = new events.EventBus(stack, 'Bus', { eventBusName: 'saas-bus' });
  const tenantStackRole = new iam.Role(stack, 'TenantStackRole', {
    assumedBy: new iam.ServicePrincipal('cloudformation.amazonaws.com'),
  });
  const templatesBucket = new s3.Bucket(stack, 'Templates');
  const operations: WorkflowName[] = ['onboarding', 'offboarding', 'suspension', 'update'];
  const targets: FunctionTargets = {
    registry: tables.registryItems,
    tenantListArn: tables.tenantListArn,
    idempotency: tables.idempotency,
    bus,
    applicationPlaneSource: 'sbt.application.plane',
    tenantStackRole,
    templatesBucket,
    templateBaseUrl: `https://${templatesBucket.bucketRegionalDomainName}`,
    stackNamePrefix: 'tenant',
    listenerArns: [
      'arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/app/tenants/50dc6c495c0c9188/f2f7dc8efc522ab2',
    ],
    executionArns: operations.map((operation) => workflowExecutionsArn(stack, operation)),
    stateMachineArns: operations.map((operation) => workflowArn(stack, operation)),
    rollout: {
      startableStateMachineArns: [workflowArn(stack, 'update'), workflowArn(stack, 'rollout-wave')],
      updateExecutionArns: workflowExecutionsArn(stack, 'update'),
      waveExecutionArns: workflowExecutionsArn(stack, 'rollout-wave'),
    },
  };
  const roles = Object.fromEntries(
    (Object.keys(functionPermissions) as FunctionDirectory[]).map((directory) => {
      const role = new iam.Role(stack, `Role-${directory}`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      });
      functionPermissions[directory].grant(role, targets);
      return [directory, role];
    }),
  ) as Record<FunctionDirectory, iam.Role>;

  const text = (value: unknown) => JSON.stringify(stack.resolve(value));
  const named: [string, (resource: string) => boolean][] = [
    ["the registry's tenant list index", (r) => r === text(tables.tenantListArn)],
    ['the registry', (r) => r.startsWith(text(tables.registry.tableArn).slice(0, -1))],
    ['the idempotency table', (r) => r.startsWith(text(tables.idempotency.tableArn).slice(0, -1))],
    ['the bus', (r) => r === text(bus.eventBusArn)],
    ['the tenant stack role', (r) => r === text(tenantStackRole.roleArn)],
    ['the templates bucket', (r) => r === text(templatesBucket.arnForObjects('*'))],
    ['the listeners', (r) => targets.listenerArns.some((arn) => r === text(arn))],
    ['the workflows', (r) => targets.stateMachineArns.some((arn) => r === text(arn))],
    ["the workflows' executions", (r) => targets.executionArns.some((arn) => r === text(arn))],
    ['the rollout-wave workflow', (r) => r === text(workflowArn(stack, 'rollout-wave'))],
    ["the rollout-wave workflow's executions", (r) => r === text(targets.rollout.waveExecutionArns)],
    ['any alarm', (r) => r.includes(':alarm:*')],
    ['tenant stacks', (r) => r.includes(':stack/tenant-*/*')],
    ['tenant services', (r) => r.includes(':service/*/tenant-*')],
    ['listener rules', (r) => r.includes(':listener-rule/app/*/*/*/*')],
    ['any resource', (r) => r === '"*"'],
  ];
  const nameOf = (resource: unknown) => {
    const resolved = JSON.stringify(resource);
    const found = named.find(([, matches]) => matches(resolved));
    if (found === undefined) throw new Error(`No name in the table's vocabulary for resource ${resolved}`);
    return found[0];
  };

  const template = Template.fromStack(stack).toJSON() as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const policies = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::IAM::Policy');
  const result = {} as Record<FunctionDirectory, Permission[]>;
  for (const [directory, role] of Object.entries(roles) as [FunctionDirectory, iam.Role][]) {
    const roleRef = text(role.roleName);
    const statements = policies
      .filter((policy) => (policy.Properties.Roles as unknown[]).some((ref) => JSON.stringify(ref) === roleRef))
      .flatMap(
        (policy) =>
          (policy.Properties.PolicyDocument as { Statement: { Effect: string; Action: unknown; Resource: unknown }[] })
            .Statement,
      );
    result[directory] = [
      ...new Set(
        statements.flatMap((statement) =>
          [statement.Action]
            .flat()
            .flatMap((action) =>
              [statement.Resource]
                .flat()
                .map((resource) => permission(statement.Effect, String(action), nameOf(resource))),
            ),
        ),
      ),
    ].sort();
  }
  return result;
}

// ---------------------------------------------------------------------------

let rows: Row[];
let granted: Record<FunctionDirectory, Permission[]>;
beforeAll(() => {
  rows = readmeRows();
  granted = grantedPermissions();
}, 60_000);

describe('README table of steps, functions, tests and permissions', () => {
  it('has a row for every Task state of both workflows, naming the function the state invokes', () => {
    const stateRows = rows.filter((row) => Object.hasOwn(allDefinitionFiles, row.workflow));

    expect(stateRows.map(({ workflow, state, functionDirectory }) => ({ workflow, state, functionDirectory }))).toEqual(
      taskStates(),
    );
  });

  it('has one row for each function outside the workflows, after the states', () => {
    const others = rows.filter((row) => !Object.hasOwn(allDefinitionFiles, row.workflow));

    expect(others.map((row) => row.functionDirectory)).toEqual(Object.values(eventFunctions));
    expect(others.every((row) => row.state === '—')).toBe(true);
  });

  it("lists exactly the unit test files of each function's test directory", () => {
    for (const row of rows) {
      const directory = join(projectRoot, 'test/unit/functions', row.functionDirectory);
      const files = readdirSync(directory).filter((file) => file.endsWith('.test.ts'));

      expect.soft(row.testFiles.toSorted(), `${row.state} (${row.functionDirectory})`).toEqual(files.toSorted());
    }
  });

  it('states exactly the permissions function-permissions.ts grants each function', () => {
    for (const row of rows) {
      const directory = row.functionDirectory as FunctionDirectory;

      expect.soft(statedPermissions(row.grant).toSorted(), `${row.state} (${directory})`).toEqual(granted[directory]);
    }
  });
});
