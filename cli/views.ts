/**
 * What the listings show: the runtime's records turned into stable JSON shapes (`--json`, every
 * key always present, `null` when unknown) and into table rows. Pure.
 */
import type { TenantRecord } from '../functions/shared/registry/tenants.ts';
import type { HistoryEntry } from '../local/workflow-runner.ts';
import type { ExecutionSummary, ReceivedReply } from '../local/runtime/api.ts';
import { arnTail, clockTime, duration, preciseClockTime, truncate, visibleText, type Painter } from './format.ts';

/** No colours (the default for rows built outside a terminal, and in tests). */
export const plain: Painter = (_colour, text) => text;

// ---------------------------------------------------------------------------- tenants

/** A tenant as `tenants --json` shows it. */
export interface TenantView {
  readonly tenantId: string;
  readonly tenantName: string | null;
  readonly tier: string | null;
  readonly isolationModel: string | null;
  readonly status: string;
  readonly route: {
    readonly style: string;
    readonly value: string;
    readonly headerName: string | null;
    readonly listenerArn: string;
    readonly priority: number;
    readonly ruleArn: string | null;
  } | null;
  /** The operation in flight (the lock), if any. */
  readonly operation: {
    readonly operation: string;
    readonly registrationId: string;
    readonly executionArn: string;
  } | null;
  readonly lastFailure: {
    readonly failedStep: string;
    readonly errorName: string;
    readonly failureReason: string;
    readonly executionArn: string;
    readonly at: string;
  } | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A registry record as a {@link TenantView}. */
export function tenantView(record: TenantRecord): TenantView {
  const { route, lock, lastFailure } = record;
  return {
    tenantId: record.tenantId,
    tenantName: record.tenantName ?? null,
    tier: record.tier ?? record.plan?.tier ?? null,
    isolationModel: record.plan?.isolationModel ?? null,
    status: record.status,
    route: route
      ? {
          style: route.style,
          value: route.value,
          headerName: route.headerName ?? null,
          listenerArn: route.listenerArn,
          priority: route.priority,
          ruleArn: route.ruleArn ?? null,
        }
      : null,
    operation: lock
      ? { operation: lock.operation, registrationId: lock.registrationId, executionArn: lock.executionArn }
      : null,
    lastFailure: lastFailure
      ? {
          failedStep: lastFailure.failedStep,
          errorName: lastFailure.errorName,
          failureReason: lastFailure.failureReason,
          executionArn: lastFailure.executionArn,
          at: lastFailure.at,
        }
      : null,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

/** How a request reaches the tenant: a host name, or `Header: value`. */
export function routeText(route: TenantView['route']): string {
  if (!route) return '-';
  return route.style === 'header' ? `${route.headerName ?? 'header'}: ${route.value}` : route.value;
}

function statusText(view: TenantView, paint: Painter): string {
  if (view.status === 'ACTIVE') return paint('green', view.status);
  if (view.status === 'DELETED') return paint('dim', view.status);
  // A tenant left mid-operation by a failure: say where, so the operator knows what to replay.
  if (view.lastFailure && view.operation)
    return paint('red', `${view.status} (failed at ${view.lastFailure.failedStep})`);
  return paint('yellow', view.status);
}

/** Columns of the tenants table. */
export const tenantHeaders = ['TENANT ID', 'NAME', 'TIER', 'ISOLATION', 'STATUS', 'ROUTE'] as const;

/** A tenant's row in the tenants table. */
export function tenantRow(view: TenantView, paint: Painter = plain): string[] {
  return [
    visibleText(view.tenantId),
    view.tenantName !== null ? visibleText(view.tenantName) : '-',
    view.tier ?? '-',
    view.isolationModel ?? '-',
    statusText(view, paint),
    routeText(view.route),
  ];
}

// ---------------------------------------------------------------------------- replies

/** A reply as `replies --json` shows it. */
export interface ReplyView {
  readonly receivedAt: string;
  readonly source: string;
  readonly detailType: string;
  readonly outcome: 'success' | 'failure';
  readonly tenantRegistrationId: string | null;
  readonly tenantId: string | null;
  readonly registrationStatus: string | null;
  /** `jobOutput.tenantData.tenantConfig`, parsed (the wire carries a JSON string). */
  readonly tenantConfig: Record<string, unknown> | null;
  readonly failure: {
    readonly failedStep: string | null;
    readonly errorName: string | null;
    readonly failureReason: string | null;
    readonly executionArn: string | null;
  } | null;
}

function objectAt(value: unknown, key: string): Record<string, unknown> {
  const inner = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  return typeof inner === 'object' && inner !== null ? (inner as Record<string, unknown>) : {};
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function parseConfig(text: unknown): Record<string, unknown> | null {
  if (typeof text !== 'string') return null;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** A received reply as a {@link ReplyView}, its jobOutput read defensively. */
export function replyView(reply: ReceivedReply): ReplyView {
  const jobOutput = objectAt(reply.detail, 'jobOutput');
  const registration = objectAt(jobOutput, 'tenantRegistrationData');
  const registrationStatus = stringOrNull(registration.registrationStatus);
  const failed = registrationStatus === 'failed' || reply.detailType.endsWith('Failure');
  return {
    receivedAt: reply.receivedAt,
    source: reply.source,
    detailType: reply.detailType,
    outcome: failed ? 'failure' : 'success',
    tenantRegistrationId: stringOrNull(reply.detail.tenantRegistrationId),
    tenantId: stringOrNull(reply.detail.tenantId),
    registrationStatus,
    tenantConfig: parseConfig(objectAt(jobOutput, 'tenantData').tenantConfig),
    failure: failed
      ? {
          failedStep: stringOrNull(registration.failedStep),
          errorName: stringOrNull(registration.errorName),
          failureReason: stringOrNull(registration.failureReason),
          executionArn: stringOrNull(registration.executionArn),
        }
      : null,
  };
}

/** One line about what a reply told the control plane: its config on success, where and why on failure. */
export function replySummary(view: ReplyView): string {
  if (view.failure) {
    const { failedStep, errorName, failureReason } = view.failure;
    return `failed at ${failedStep ?? '?'} (${errorName ?? 'error'}): ${failureReason ?? 'no reason given'}`;
  }
  const config = view.tenantConfig;
  if (!config) return view.registrationStatus === 'deleted' ? 'tenant removed' : '-';
  const route = objectAt(config, 'route');
  const routeValue =
    route.style === 'header' ? `${String(route.headerName)}: ${String(route.value)}` : String(route.host ?? '-');
  const stacks = Array.isArray(config.stacks) ? config.stacks.length : 0;
  const services = Array.isArray(config.services) ? config.services.join(',') : '-';
  return `tier=${String(config.tier)} isolation=${String(config.isolationModel)} route=${routeValue} stacks=${stacks} services=${services}`;
}

/** Columns of the replies table. */
export const replyHeaders = ['RECEIVED', 'DETAIL TYPE', 'TENANT', 'STATUS', 'SUMMARY'] as const;

/** A reply's row in the replies table. */
export function replyRow(view: ReplyView, tenantLabel: string, paint: Painter = plain): string[] {
  const colour = view.outcome === 'failure' ? 'red' : 'green';
  return [
    clockTime(Date.parse(view.receivedAt)),
    paint(colour, view.detailType),
    tenantLabel,
    view.registrationStatus ?? '-',
    truncate(replySummary(view), 160),
  ];
}

// ---------------------------------------------------------------------------- executions

/** An execution as `executions --json` shows it. */
export interface ExecutionView {
  readonly executionArn: string;
  readonly name: string;
  readonly workflow: string;
  readonly status: string;
  readonly startedAt: string;
  readonly stoppedAt: string | null;
  readonly tenantId: string | null;
  readonly registrationId: string | null;
  readonly failedState: string | null;
  readonly error: string | null;
  readonly cause: string | null;
  readonly replayOf: string | null;
  /** State transitions so far; null where they are not known (a deployed stack's listing). */
  readonly transitions: number | null;
}

/** An execution as the listings take it: the local runtime's summary, or a deployed one's without a transition count. */
export type ListedExecution = Omit<ExecutionSummary, 'transitions'> & { readonly transitions?: number };

/** An execution summary as an {@link ExecutionView}. */
export function executionView(execution: ListedExecution): ExecutionView {
  return {
    executionArn: execution.executionArn,
    name: execution.name,
    workflow: execution.workflow,
    status: execution.status,
    startedAt: execution.startedAt,
    stoppedAt: execution.stoppedAt ?? null,
    tenantId: execution.tenantId ?? null,
    registrationId: execution.registrationId ?? null,
    failedState: execution.failedState ?? null,
    error: execution.error ?? null,
    cause: execution.cause ?? null,
    replayOf: execution.replayOf ?? null,
    transitions: execution.transitions ?? null,
  };
}

/**
 * States of both workflows (statemachines/*.asl.json) that tell how a successful run ended: the
 * request was a duplicate of one another execution handles or handled (no reply), or it had
 * already been carried out and was confirmed with the success reply again.
 */
export const EndingState = {
  ignoreDuplicate: 'IgnoreDuplicateRequest',
  checkDuplicate: 'IsDuplicateRequest',
  sendSuccess: ['SendProvisionSuccess', 'SendDeprovisionSuccess'],
} as const;

/** How an execution ended, as the command line tells it. */
export type Ending = 'running' | 'succeeded' | 'confirmed' | 'duplicate' | 'superseded' | 'failed';

/** How an execution ended, from its status and the states it entered. */
export function endingOf(
  execution: { readonly status: string },
  history: readonly Pick<HistoryEntry, 'type' | 'state'>[],
): Ending {
  if (execution.status === 'RUNNING') return 'running';
  if (execution.status === 'SUPERSEDED') return 'superseded';
  if (executionFailed(execution)) return 'failed';
  const entered = history.filter((entry) => entry.type === 'StateEntered').map((entry) => entry.state);
  if (entered.includes(EndingState.ignoreDuplicate)) return 'duplicate';
  const afterCheck = entered[entered.indexOf(EndingState.checkDuplicate) + 1];
  if (
    entered.includes(EndingState.checkDuplicate) &&
    afterCheck !== undefined &&
    (EndingState.sendSuccess as readonly string[]).includes(afterCheck)
  )
    return 'confirmed';
  return 'succeeded';
}

/** The note a listing shows beside a successful execution that did not do the work itself. */
export function endingNote(ending: Ending): string {
  if (ending === 'duplicate') return '(duplicate request: no reply)';
  if (ending === 'confirmed') return '(already done: reply sent again)';
  return '';
}

/** True for an execution that ended badly (what the failure reporter answers). */
export function executionFailed(execution: { readonly status: string }): boolean {
  return execution.status === 'FAILED' || execution.status === 'TIMED_OUT' || execution.status === 'ABORTED';
}

/** Columns of the executions table. */
export const executionHeaders = [
  'EXECUTION',
  'WORKFLOW',
  'TENANT',
  'STATUS',
  'STARTED',
  'TOOK',
  'STEPS',
  'FAILED AT',
] as const;

/** An execution's row in the executions table; `ending` adds a note for a duplicate or a confirmation. */
export function executionRow(
  view: ExecutionView,
  tenantLabel: string,
  paint: Painter = plain,
  ending: Ending = 'succeeded',
): string[] {
  const started = Date.parse(view.startedAt);
  const took = view.stoppedAt ? duration(Date.parse(view.stoppedAt) - started) : '-';
  const status =
    view.status === 'SUCCEEDED'
      ? paint('green', view.status)
      : view.status === 'RUNNING' || view.status === 'SUPERSEDED'
        ? paint('yellow', view.status)
        : paint('red', view.status);
  const failedAt = view.failedState
    ? `${view.failedState}: ${view.error ?? 'error'}`
    : view.replayOf
      ? `(replay of ${arnTail(view.replayOf)})`
      : endingNote(ending);
  return [
    view.name,
    view.workflow,
    tenantLabel,
    status,
    clockTime(started),
    took,
    view.transitions === null ? '-' : String(view.transitions),
    failedAt,
  ];
}

// ---------------------------------------------------------------------------- history

/** A history entry as `history --json` shows it. */
export interface HistoryView {
  readonly at: string;
  readonly type: string;
  readonly state: string | null;
  readonly error: string | null;
  readonly cause: string | null;
}

/** A history entry as a {@link HistoryView} (time as ISO 8601). */
export function historyView(entry: HistoryEntry): HistoryView {
  return {
    at: new Date(entry.at).toISOString(),
    type: entry.type,
    state: entry.state ?? null,
    error: entry.error ?? null,
    cause: entry.cause ?? null,
  };
}

/** Columns of the history table. */
export const historyHeaders = ['TIME', 'TYPE', 'STATE', 'ERROR'] as const;

/** A history entry's row. */
export function historyRow(entry: HistoryEntry, paint: Painter = plain): string[] {
  const failed = entry.type === 'StateFailed' || entry.type === 'ExecutionFailed';
  const error = entry.error ? `${entry.error}${entry.cause ? `: ${truncate(entry.cause, 140)}` : ''}` : '';
  return [
    preciseClockTime(entry.at),
    failed ? paint('red', entry.type) : entry.type,
    entry.state ?? '',
    failed ? paint('red', error) : error,
  ];
}
