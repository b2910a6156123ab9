/**
 * How executions start and how failures are reported: one rule per operation on the control
 * plane's bus hands its requests, from the control plane's accounts only, to the admission
 * function, which starts the workflow with a sanitized input; a rule on the default bus hands
 * every failed, timed-out or aborted execution of the two workflows to the failure reporter.
 * Undeliverable events, and invocations that keep failing, land in dead-letter queues the
 * monitoring alarms on.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type ContractConfig, type WorkflowName, workflowRequestEventPattern } from '../../events/contract.ts';
import { requestDeadLetterRetention } from './request-retention.ts';
import { failedExecutionEventPattern } from '../../events/execution-status.ts';
import { serviceSettledEventPattern, stackStatusEventPattern } from '../../events/cloud-events.ts';

/** EventBridge keeps retrying a target this long (its maximum), then dead-letters the event. */
const maxEventAge = Duration.hours(24);
/** EventBridge's maximum number of retries within {@link maxEventAge}. */
const retryAttempts = 185;

/**
 * The contract's pattern (EventBridge JSON field names) as a CDK EventPattern (camelCase fields):
 * the rule renders exactly requestEventPattern's JSON.
 */
function cdkEventPattern(pattern: Readonly<Record<string, unknown>>): events.EventPattern {
  const { 'detail-type': detailType, ...rest } = pattern;
  return {
    ...rest,
    ...(detailType !== undefined ? { detailType: detailType as string[] } : {}),
  } as events.EventPattern;
}

/** Properties of {@link EventWiring}. */
export interface EventWiringProps {
  /** The control plane's bus. */
  readonly bus: events.IEventBus;
  /** Sources and detail types of requests. */
  readonly contract: ContractConfig;
  /** Accounts whose requests are accepted (the event's `account`): the control plane's. */
  readonly controlPlaneAccounts: readonly string[];
  /** The admission function (functions/admit-request), the request rules' target. */
  readonly admission: lambda.IFunction;
  /** ARNs of the two workflows, built from their names. */
  readonly stateMachineArns: readonly string[];
  readonly failureReporter: lambda.IFunction;
  /** The resumer (functions/resume-wait), the target of CloudFormation's and ECS's events. */
  readonly resumer: lambda.IFunction;
  /** `arn:<partition>:cloudformation:<region>:<account>:stack/<stackNamePrefix>-`: the tenant stacks' ARNs start with it. */
  readonly stackArnPrefix: string;
}

/** The request rules, the execution status rule and their dead-letter queues. */
export class EventWiring extends Construct {
  public readonly requestRules: Readonly<Record<WorkflowName, events.Rule>>;
  /** Requests EventBridge could not hand to the admission function, or it could not start a workflow for. */
  public readonly requestDeadLetterQueue: sqs.Queue;
  public readonly failedExecutionsRule: events.Rule;
  /** Status changes EventBridge could not hand to the failure reporter. */
  public readonly failureDeadLetterQueue: sqs.Queue;
  /** CloudFormation's tenant stack status changes and ECS's service events, to the resumer (default bus). */
  public readonly resumeRules: readonly events.Rule[];

  constructor(scope: Construct, id: string, props: EventWiringProps) {
    super(scope, id);
    this.requestDeadLetterQueue = this.deadLetterQueue('RequestDeadLetters');
    const requestRule = (workflow: WorkflowName, ruleId: string) =>
      new events.Rule(this, ruleId, {
        eventBus: props.bus,
        description: `Hands each ${workflow} request of the control plane to the admission function, which starts the tenant ${workflow} workflow`,
        eventPattern: cdkEventPattern({
          ...workflowRequestEventPattern(props.contract, workflow),
          account: [...props.controlPlaneAccounts],
        }),
        targets: [
          new targets.LambdaFunction(props.admission, {
            deadLetterQueue: this.requestDeadLetterQueue,
            retryAttempts,
            maxEventAge,
          }),
        ],
      });
    this.requestRules = {
      onboarding: requestRule('onboarding', 'OnboardingRequests'),
      offboarding: requestRule('offboarding', 'OffboardingRequests'),
      suspension: requestRule('suspension', 'SuspensionRequests'),
      update: requestRule('update', 'UpdateRequests'),
    };
    // The rules' dead-letter queue only catches events EventBridge could not hand over; an admission
    // that keeps failing (StartExecution throttled, the open-executions quota) is retried twice by
    // Lambda and then recorded in the same queue, so no request is lost without an alarm.
    props.admission.configureAsyncInvoke({
      retryAttempts: 2,
      onFailure: new destinations.SqsDestination(this.requestDeadLetterQueue),
    });

    this.failureDeadLetterQueue = this.deadLetterQueue('FailureDeadLetters');
    // Step Functions publishes status changes on the account's default bus.
    this.failedExecutionsRule = new events.Rule(this, 'FailedExecutions', {
      description: 'Hands failed, timed-out and aborted orchestrator executions to the failure reporter',
      eventPattern: cdkEventPattern(failedExecutionEventPattern(props.stateMachineArns)),
      targets: [
        new targets.LambdaFunction(props.failureReporter, {
          deadLetterQueue: this.failureDeadLetterQueue,
          retryAttempts,
          maxEventAge,
        }),
      ],
    });
    // EventBridge invokes the reporter asynchronously: the rule's dead-letter queue only catches
    // events it could not deliver. An invocation that keeps failing (after Lambda's own two retries)
    // lands in the same queue, so no failed execution goes unanswered without a trace and an alarm.
    props.failureReporter.configureAsyncInvoke({
      retryAttempts: 2,
      onFailure: new destinations.SqsDestination(this.failureDeadLetterQueue),
    });

    // CloudFormation and ECS put their events on the account's default bus. An event the resumer
    // cannot use in time is worth nothing later: the waiting step's fallback look replaces it, so
    // the rules retry for minutes, not a day, and keep no dead letters.
    const resumer = new targets.LambdaFunction(props.resumer, {
      retryAttempts: 3,
      maxEventAge: Duration.minutes(10),
    });
    this.resumeRules = [
      new events.Rule(this, 'StackStatusChanges', {
        description:
          'Hands tenant stacks reaching a status at rest to the resumer, which ends the step waiting on them',
        eventPattern: cdkEventPattern(stackStatusEventPattern(props.stackArnPrefix)),
        targets: [resumer],
      }),
      new events.Rule(this, 'ServiceEvents', {
        description: 'Hands ECS steady-state and deployment events to the resumer, which ends the step waiting on them',
        eventPattern: cdkEventPattern(serviceSettledEventPattern()),
        targets: [resumer],
      }),
    ];
  }

  private deadLetterQueue(id: string): sqs.Queue {
    const queue = new sqs.Queue(this, id, {
      // SQS-managed keys: EventBridge can write without a key policy, and events stay encrypted at rest.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: requestDeadLetterRetention,
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter queue (of EventBridge rule targets); a dead-letter queue of a dead-letter queue would only move the alarm',
    });
    return queue;
  }
}
