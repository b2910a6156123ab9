/**
 * Alarms and a dashboard: failed, timed-out and aborted executions (failed and timed-out ones only for
 * the rollout and its wave pages), undeliverable events, failure
 * reporter, failure sweep and reconciliation errors, reconciliation findings, and requests rejected without a way to answer them (the
 * admission function, the failure reporter or the sweep logs `rejected: true`; nobody else would
 * ever hear of them).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { FleetWorkflowName, WorkflowName } from '../../events/contract.ts';
import { findingsMetricName, metricNamespace as findingsMetricNamespace } from '../../functions/reconcile/report.ts';

/** Namespace of the orchestrator's own metrics. */
const metricNamespace = 'TenantOrchestrator';
/** Metric counting workflow steps that found their execution superseded (it ends in the `Superseded` state). */
const supersededExecutionsMetric = 'SupersededExecutions';
/** Metric counting requests that could not be answered (admission function, failure reporter and sweep). */
const unanswerableRequestsMetric = 'UnanswerableRejectedRequests';

/** Properties of {@link Monitoring}. */
export interface MonitoringProps {
  readonly stateMachines: Readonly<Record<WorkflowName, sfn.IStateMachine>>;
  /**
   * The rollout and its wave pages: started by an operator, not by a request, so no failure reply
   * goes out for them; their alarms are the only notice that one stopped.
   * @default no rollout alarms
   */
  readonly fleetStateMachines?: Readonly<Record<FleetWorkflowName, sfn.IStateMachine>>;
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
  readonly failureReporter: lambda.IFunction;
  /** The scheduled failure sweep, which replies when a status event was not delivered. */
  readonly failureSweep: lambda.IFunction;
  /** The scheduled reconciliation, which writes the findings metric. */
  readonly reconcile: lambda.IFunction;
  /** The failure sweep's log group: it logs `rejected: true` too, for the failures it reports. */
  readonly failureSweepLogs: logs.ILogGroup;
  /** The failure reporter's log group (JSON logs). */
  readonly failureReporterLogs: logs.ILogGroup;
  /** The admission function's log group (JSON logs), where unanswerable requests are refused. */
  readonly admissionLogs: logs.ILogGroup;
  /** Every function, for the dashboard. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** Log groups of the workflow steps, which log `superseded: true` when their execution lost the tenant. */
  readonly workflowStepLogs: readonly logs.ILogGroup[];
  /**
   * Topic the alarms notify.
   * @default a new topic, encrypted with a customer managed key CloudWatch may use
   */
  readonly alarmTopicArn?: string;
}

/** The alarm topic, the alarms and the dashboard. */
export class Monitoring extends Construct {
  public readonly alarmTopic: sns.ITopic;
  public readonly alarms: readonly cloudwatch.Alarm[];
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.alarmTopic =
      props.alarmTopicArn !== undefined
        ? sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn)
        : this.createTopic();
    const alarms: cloudwatch.Alarm[] = [];
    const alarm = (alarmId: string, metric: cloudwatch.IMetric, description: string) => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      created.addAlarmAction(new actions.SnsAction(this.alarmTopic));
      alarms.push(created);
    };

    for (const [operation, stateMachine] of Object.entries(props.stateMachines)) {
      const name = operation.charAt(0).toUpperCase() + operation.slice(1);
      const hint = 'The failure reporter has replied; fix the cause and redrive the execution from the console.';
      alarm(
        `${name}ExecutionsFailed`,
        stateMachine.metricFailed({ period: Duration.minutes(5) }),
        `A tenant ${operation} execution failed. ${hint}`,
      );
      alarm(
        `${name}ExecutionsTimedOut`,
        stateMachine.metricTimedOut({ period: Duration.minutes(5) }),
        `A tenant ${operation} execution timed out. ${hint}`,
      );
      alarm(
        `${name}ExecutionsAborted`,
        stateMachine.metricAborted({ period: Duration.minutes(5) }),
        `A tenant ${operation} execution was aborted. ${hint}`,
      );
    }
    this.addFleetAlarms(props.fleetStateMachines ?? {}, alarm);
    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      alarm(
        `${name}Depth`,
        queue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        `Events EventBridge could not deliver are waiting in ${name}: inspect and replay them.`,
      );
    }
    alarm(
      'FailureReporterErrors',
      props.failureReporter.metricErrors({ period: Duration.minutes(5) }),
      'The failure reporter failed: a failed execution may not have been answered.',
    );
    alarm(
      'FailureSweepErrors',
      props.failureSweep.metricErrors({ period: Duration.minutes(5) }),
      "The failure sweep failed: a failed execution whose status event was lost may not have been answered. Read the sweep's logs.",
    );
    alarm(
      'ReconcileErrors',
      props.reconcile.metricErrors({ period: Duration.minutes(5) }),
      "The scheduled reconciliation failed, so drift is not being looked for. Read the reconcile function's logs.",
    );
    // The reconciliation writes the total on every run (0 included), without dimensions.
    alarm(
      'ReconcileFindings',
      new cloudwatch.Metric({
        namespace: findingsMetricNamespace,
        metricName: findingsMetricName,
        period: Duration.hours(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      'The reconciliation found the registry and the account disagreeing: the Reconcile Findings event on the bus lists the findings, and the metric has one value per Kind.',
    );

    // Each function logs an unanswerable request as `rejected: true` (a JSON boolean, which JSON
    // filters match with IS TRUE); the filters feed one metric, so one alarm covers them.
    const rejectionLogs = {
      UnanswerableRejectionsFilter: props.failureReporterLogs,
      SweptUnanswerableRejectionsFilter: props.failureSweepLogs,
      UnanswerableAdmissionsFilter: props.admissionLogs,
    };
    const [rejections] = Object.entries(rejectionLogs).map(
      ([filterId, logGroup]) =>
        new logs.MetricFilter(this, filterId, {
          logGroup,
          filterPattern: logs.FilterPattern.booleanValue('$.rejected', true),
          metricNamespace,
          metricName: unanswerableRequestsMetric,
          metricValue: '1',
        }),
    );
    alarm(
      'UnanswerableRejections',
      rejections!.metric({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      "A request was rejected without a registration id, so the control plane got no reply: find it in the admission function's (or the failure reporter's) logs.",
    );
    // Not an alarm: a superseded execution is the orchestrator working as designed (a newer
    // request won), but a steady count shows a control plane that re-sends or reorders requests.
    props.workflowStepLogs.forEach((logGroup, index) => {
      new logs.MetricFilter(this, `SupersededFilter${index}`, {
        logGroup,
        filterPattern: logs.FilterPattern.booleanValue('$.superseded', true),
        metricNamespace,
        metricName: supersededExecutionsMetric,
        metricValue: '1',
      });
    });
    this.alarms = alarms;
    this.dashboard = this.createDashboard(props);
  }

  /**
   * Failed and timed-out executions of the rollout (`RolloutExecutionsFailed`, ...) and of its wave
   * pages (`RolloutWaveExecutionsFailed`, ...). Not aborted ones: stopping a rollout is an operator's
   * deliberate act, not a fault. A page that fails or times out also fails its rollout at
   * CheckWaveBatch or CheckRollbackBatch (RolloutBatchFailed), so both alarms fire for it.
   */
  private addFleetAlarms(
    stateMachines: Partial<Record<FleetWorkflowName, sfn.IStateMachine>>,
    alarm: (alarmId: string, metric: cloudwatch.IMetric, description: string) => void,
  ): void {
    const what: Record<FleetWorkflowName, string> = {
      rollout: 'A fleet rollout execution',
      'rollout-wave': "A rollout's wave page (child execution)",
    };
    const hint =
      'No reply goes to the control plane for a rollout. Read the execution history for the failed state and its error, fix the cause, then redrive it (a failed page first, then its rollout): every execution it starts is named after the rollout, so a redrive starts nothing twice.';
    for (const [workflow, stateMachine] of Object.entries(stateMachines) as [FleetWorkflowName, sfn.IStateMachine][]) {
      const name = workflow.replace(/(^|-)([a-z])/g, (_match, _dash: string, letter: string) => letter.toUpperCase());
      alarm(
        `${name}ExecutionsFailed`,
        stateMachine.metricFailed({ period: Duration.minutes(5) }),
        `${what[workflow]} failed. ${hint}`,
      );
      alarm(
        `${name}ExecutionsTimedOut`,
        stateMachine.metricTimedOut({ period: Duration.minutes(5) }),
        `${what[workflow]} timed out. ${hint}`,
      );
    }
  }

  private createTopic(): sns.Topic {
    const key = new kms.Key(this, 'AlarmTopicKey', {
      enableKeyRotation: true,
      description: 'Encrypts the tenant orchestrator alarm topic',
    });
    // CloudWatch alarms cannot publish to a topic encrypted with the AWS managed SNS key.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    return new sns.Topic(this, 'AlarmTopic', {
      masterKey: key,
      enforceSSL: true,
      displayName: 'Tenant orchestrator alarms',
    });
  }

  private createDashboard(props: MonitoringProps): cloudwatch.Dashboard {
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.days(1) });
    const executions = Object.entries({ ...props.stateMachines, ...props.fleetStateMachines }).map(
      ([operation, stateMachine]) =>
        new cloudwatch.GraphWidget({
          title: `${operation in (props.fleetStateMachines ?? {}) ? 'Fleet' : 'Tenant'} ${operation} executions`,
          left: [
            stateMachine.metricStarted(),
            stateMachine.metricSucceeded(),
            stateMachine.metricFailed(),
            stateMachine.metricTimedOut(),
            stateMachine.metricAborted(),
          ],
          width: 12,
        }),
    );
    const functions = Object.entries(props.functions);
    dashboard.addWidgets(...executions);
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queue depth',
        left: Object.entries(props.deadLetterQueues).map(([name, queue]) =>
          queue.metricApproximateNumberOfMessagesVisible({ label: name }),
        ),
        width: 12,
      }),
      new cloudwatch.SingleValueWidget({
        title: 'Unanswerable rejected requests / superseded executions',
        metrics: [
          new cloudwatch.Metric({
            namespace: metricNamespace,
            metricName: unanswerableRequestsMetric,
            statistic: cloudwatch.Stats.SUM,
          }),
          new cloudwatch.Metric({
            namespace: metricNamespace,
            metricName: supersededExecutionsMetric,
            statistic: cloudwatch.Stats.SUM,
          }),
        ],
        width: 12,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Function errors',
        left: functions.map(([name, fn]) => fn.metricErrors({ label: name })),
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Function duration (p99)',
        left: functions.map(([name, fn]) => fn.metricDuration({ label: name, statistic: 'p99' })),
        width: 12,
      }),
    );
    return dashboard;
  }
}
