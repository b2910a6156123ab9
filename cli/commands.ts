/**
 * Every command against the {@link LocalRuntime}: the listings live here, the workflow-starting
 * commands in actions.ts, the demo in demo.ts. Each returns the process exit code.
 */
import type { CloudResources } from '../local/runtime/api.ts';
import { changeTenantState, offboard, onboard, redrive, replay, sendFile, updateTenant } from './actions.ts';
import type { Command } from './args.ts';
import { learnTenantNames, tenantLabel, type CliContext } from './context.ts';
import type { TenantRecord } from '../functions/shared/registry/tenants.ts';
import type { HistoryEntry } from '../local/workflow-runner.ts';
import { listDeadLetters, redriveDeadLetters } from './dead-letters.ts';
import { runDemo } from './demo.ts';
import { drift, listFleet, pinTenant, reconcile } from './fleet.ts';
import { planFleetRollout, runFleetRollout } from './rollout.ts';
import { ExitCode, InputError } from './exit-codes.ts';
import { truncate } from './format.ts';
import { printJson, printSection, printTable } from './print.ts';
import { ruleHeaders, ruleRow, serviceHeaders, serviceRow, stackHeaders, stackRow } from './resource-views.ts';
import {
  endingNote,
  endingOf,
  executionFailed,
  executionHeaders,
  executionRow,
  executionView,
  type Ending,
  type ListedExecution,
  historyHeaders,
  historyRow,
  historyView,
  replyHeaders,
  replyRow,
  replyView,
  tenantHeaders,
  tenantRow,
  tenantView,
} from './views.ts';

/** What a listing prints through: the output, the tenant names it knows, and the program name for hints. */
export type ListingContext = Pick<CliContext, 'output' | 'tenantNames' | 'program'>;

/** Remembers the names of `records` for labels. */
function learnNames(context: Pick<CliContext, 'tenantNames'>, records: readonly TenantRecord[]): void {
  for (const record of records)
    if (record.tenantName !== undefined && !context.tenantNames.has(record.tenantId))
      context.tenantNames.set(record.tenantId, record.tenantName);
}

/** Prints tenant records as `tenants` does, oldest first. */
export function printTenants(context: ListingContext, records: readonly TenantRecord[], json: boolean): ExitCode {
  const tenants = records.map(tenantView).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  if (json) printJson(context, { tenants });
  else
    printTable(
      context,
      tenantHeaders,
      tenants.map((view) => tenantRow(view, context.output.paint)),
      'no tenants yet',
    );
  return ExitCode.ok;
}

/** The tenant registry (`tenants`). */
export async function listTenants(context: CliContext, json: boolean): Promise<ExitCode> {
  return printTenants(context, await context.runtime.tenants(), json);
}

/** An execution to list and how it ended. */
export interface ListedRun {
  readonly execution: ListedExecution;
  readonly ending: Ending;
}

/** Prints executions as `executions` does, oldest first; `tenants` gives their names. */
export function printExecutions(
  context: ListingContext,
  runs: readonly ListedRun[],
  tenants: readonly TenantRecord[],
  json: boolean,
): ExitCode {
  const sorted = [...runs].sort((a, b) => a.execution.startedAt.localeCompare(b.execution.startedAt));
  if (json) {
    printJson(context, { executions: sorted.map((run) => executionView(run.execution)) });
    return ExitCode.ok;
  }
  learnNames(context, tenants);
  const rows = sorted.map(({ execution, ending }) =>
    executionRow(
      executionView(execution),
      tenantLabel(context.tenantNames, execution.tenantId),
      context.output.paint,
      ending,
    ),
  );
  printTable(context, executionHeaders, rows, 'no executions yet');
  return ExitCode.ok;
}

/** Every execution, oldest first (`executions`). */
export async function listExecutions(context: CliContext, json: boolean): Promise<ExitCode> {
  const runs = context.runtime.executions().map((execution) => ({
    execution,
    ending: endingOf(execution, context.runtime.history(execution.executionArn)),
  }));
  return printExecutions(context, runs, json ? [] : await context.runtime.tenants(), json);
}

/**
 * The replies the control plane received (`replies`). `raw` (with `json`): each event exactly as
 * the application plane put it on the bus, with the keys an EventBridge event has.
 */
export async function listReplies(context: CliContext, json: boolean, raw = false): Promise<ExitCode> {
  if (json && raw) {
    const events = context.runtime
      .replies()
      .map((reply) => ({ source: reply.source, 'detail-type': reply.detailType, detail: reply.detail }));
    printJson(context, { replies: events });
    return ExitCode.ok;
  }
  const replies = context.runtime.replies().map(replyView);
  if (json) {
    printJson(context, { replies });
    return ExitCode.ok;
  }
  await learnTenantNames(context);
  const rows = replies.map((view) =>
    replyRow(view, tenantLabel(context.tenantNames, view.tenantId), context.output.paint),
  );
  printTable(context, replyHeaders, rows, 'no replies yet');
  return ExitCode.ok;
}

/** Prints an execution's history as `history` does; `tenants` gives its tenant's name. */
export function printHistory(
  context: ListingContext,
  execution: ListedExecution,
  history: readonly HistoryEntry[],
  tenants: readonly TenantRecord[],
  json: boolean,
): ExitCode {
  const { output } = context;
  if (json) {
    printJson(context, { execution: executionView(execution), history: history.map(historyView) });
    return ExitCode.ok;
  }
  learnNames(context, tenants);
  const note = endingNote(endingOf(execution, history));
  const steps = execution.transitions === undefined ? '' : `  ${execution.transitions} steps`;
  output.line(
    `${execution.name}  ${execution.workflow} of ${tenantLabel(context.tenantNames, execution.tenantId)}  ${execution.status}${note ? ` ${note}` : ''}${steps}`,
  );
  output.line();
  printTable(
    context,
    historyHeaders,
    history.map((entry) => historyRow(entry, output.paint)),
    'no history recorded',
  );
  if (executionFailed(execution)) {
    output.line();
    output.line(
      `failed at ${execution.failedState ?? '?'}: ${execution.error ?? 'error'}${execution.cause ? ` - ${truncate(execution.cause, 300)}` : ''}`,
    );
    output.line(`replay it with: ${context.program} replay ${execution.name}`);
  }
  return ExitCode.ok;
}

/** An execution's state-by-state history (`history EXECUTION`). */
export async function showHistory(context: CliContext, name: string, json: boolean): Promise<ExitCode> {
  const { runtime } = context;
  const execution = runtime.execution(name);
  if (!execution) throw new InputError(`no execution named ${name} (see: ${context.program} executions)`);
  const history = runtime.history(execution.executionArn);
  return printHistory(context, execution, history, json ? [] : await runtime.tenants(), json);
}

/** Prints stacks, listener rules and services, each under a heading. */
export function printResources(context: CliContext, resources: CloudResources): void {
  const { output, tenantNames } = context;
  printSection(
    context,
    'Stacks',
    stackHeaders,
    resources.stacks.map((stack) => stackRow(stack, output.paint, tenantLabel(tenantNames, stack.tags.tenantId))),
  );
  output.line();
  printSection(
    context,
    'Routes (listener rules)',
    ruleHeaders,
    resources.rules.map((rule) => ruleRow(rule, tenantLabel(tenantNames, rule.tenantId))),
  );
  output.line();
  printSection(context, 'Services', serviceHeaders, resources.services.map(serviceRow));
}

/** What the simulated account holds (`resources`). */
export async function listResources(context: CliContext, json: boolean): Promise<ExitCode> {
  const { stacks, rules, services } = context.runtime.resources();
  if (json) {
    printJson(context, { stacks, rules, services });
    return ExitCode.ok;
  }
  await learnTenantNames(context);
  printResources(context, { stacks, rules, services });
  return ExitCode.ok;
}

/** Forgets all local state (`reset`). */
export async function reset(context: CliContext): Promise<ExitCode> {
  await context.runtime.reset();
  context.output.line('local state cleared: no tenants, stacks, rules, executions or replies');
  return ExitCode.ok;
}

/** A command that runs against the local runtime (help and `dead-letters --aws` are answered without one). */
export type RuntimeCommand = Exclude<
  Command,
  { kind: 'help' } | { kind: 'dead-letters-aws' } | { kind: 'smoke' } | { kind: 'index-tenants' }
>;

/** Runs one parsed command. */
export async function runCommand(context: CliContext, command: RuntimeCommand): Promise<ExitCode> {
  switch (command.kind) {
    case 'demo':
      return runDemo(context, command.faults);
    case 'onboard':
      return onboard(context, command, command);
    case 'offboard':
      return offboard(context, command.tenant, command);
    case 'suspend':
    case 'resume':
      return changeTenantState(context, command.kind, command.tenant, command);
    case 'update':
      return updateTenant(
        context,
        command.tenant,
        {
          ...(command.tier !== undefined ? { tier: command.tier } : {}),
          ...(command.templateVersion !== undefined ? { templateVersion: command.templateVersion } : {}),
        },
        command,
      );
    case 'send':
      return sendFile(context, command.file, command);
    case 'replay':
      return replay(context, command.execution, command);
    case 'redrive':
      return redrive(context, command.execution, command);
    case 'dead-letters':
      return command.redrive ? redriveDeadLetters(context, command) : listDeadLetters(context, command.json);
    case 'history':
      return showHistory(context, command.execution, command.json);
    case 'tenants':
      return listTenants(context, command.json);
    case 'executions':
      return listExecutions(context, command.json);
    case 'fleet':
      return listFleet(context, command.json);
    case 'pin':
    case 'unpin':
      return pinTenant(context, command.tenant, command.kind === 'pin');
    case 'reconcile':
      return reconcile(context, command.json, command.repair, command.detectDrift);
    case 'rollout':
      return command.dryRun
        ? planFleetRollout(context, command.request, command.json)
        : runFleetRollout(context, command.request, command.json, command.faults);
    case 'drift':
      return drift(context, command.tenant, command.change);
    case 'replies':
      return listReplies(context, command.json, command.raw);
    case 'resources':
      return listResources(context, command.json);
    case 'reset':
      return reset(context);
  }
}
