/**
 * Where moto is known to differ from AWS. Each entry names the scenario and the result paths
 * where moto's answer differs, what moto does, what AWS does (with the AWS page that says so),
 * and, where the page gives it, the value the local cloud must show at those paths: the local
 * cloud follows AWS, not moto. A difference not listed here is a disagreement.
 */
export interface KnownDeviation {
  readonly scenario: string;
  /** Result paths (as the runner prints them) whose difference this entry explains. */
  readonly paths: readonly string[];
  readonly moto: string;
  readonly awsBehaviour: string;
  /** The AWS documentation page for what AWS does. */
  readonly source: string;
  /** What the local result must be at these paths (AWS's documented behaviour). */
  readonly aws?: Readonly<Record<string, unknown>>;
}

const cloudFormationApi = 'https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference';
const elbApi = 'https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference';

/** moto runs CloudFormation synchronously: a stack is complete (or deleted) before the call returns. */
const completesAtOnce = {
  moto: 'completes a stack within the CreateStack/DeleteStack call: no *_IN_PROGRESS state is ever seen',
  awsBehaviour:
    'CreateStack and DeleteStack only start the operation; the stack is CREATE_IN_PROGRESS / DELETE_IN_PROGRESS until its resources are done, as DescribeStacks shows',
  source: `${cloudFormationApi}/API_CreateStack.html`,
} as const;

/** moto does not keep ClientRequestToken: not on events, not checked for reuse. */
const ignoresRequestToken = {
  moto: 'ignores ClientRequestToken: a used token is accepted again, and stack events do not carry it',
  awsBehaviour:
    'every event of an operation carries its ClientRequestToken; TokenAlreadyExistsException is declared for a token already used (remembered across a delete and re-create of the name, as reported; what an exact replay returns is undocumented, and the adapter reads TokenAlreadyExists and success alike)',
  source: `${cloudFormationApi}/API_StackEvent.html`,
} as const;

export const knownDeviations: readonly KnownDeviation[] = [
  {
    scenario: 'cfn-create-silo-services-stack',
    paths: ['statuses'],
    ...completesAtOnce,
    aws: { statuses: ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE'] },
  },
  {
    scenario: 'cfn-create-silo-cluster-stack',
    paths: ['statuses'],
    ...completesAtOnce,
    aws: { statuses: ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE'] },
  },
  {
    scenario: 'cfn-create-silo-cluster-stack',
    paths: ['outputs.ServiceNames'],
    moto: 'turns a Number parameter into a number, so Fn::Equals [Ref ServiceCount, "2"] is false and the second service is not created (moto/cloudformation/parsing.py, _parse_number_parameter)',
    awsBehaviour:
      'a Number parameter is validated as a number but its Ref is a string, so the HasService1 condition holds and both services exist',
    source: 'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html',
    aws: { 'outputs.ServiceNames': 'tenant-diff-cluster-web,tenant-diff-cluster-api' },
  },
  {
    scenario: 'cfn-replayed-create-token',
    paths: ['replayed'],
    ...ignoresRequestToken,
    source: `${cloudFormationApi}/API_CreateStack.html`,
  },
  {
    scenario: 'cfn-refused-parameters',
    paths: ['undeclared', 'notAllowed', 'stackLeft'],
    moto: 'accepts a parameter the template does not declare and a value outside AllowedValues, and creates the stack',
    awsBehaviour:
      "CreateStack fails with ValidationError for a value outside the parameter's AllowedValues (documented) and for a parameter the template does not declare ('Parameters: [X] do not exist in the template', CloudFormation's answer; no page states it)",
    source: 'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html',
    aws: {
      'notAllowed.thrown': 'StackRequestRejected',
      'notAllowed.cause': 'ValidationError',
      'undeclared.thrown': 'StackRequestRejected',
      stackLeft: null,
    },
  },
  {
    scenario: 'cfn-delete-lifecycle',
    paths: ['statuses'],
    ...completesAtOnce,
    source: `${cloudFormationApi}/API_DeleteStack.html`,
    aws: { statuses: ['DELETE_IN_PROGRESS', 'gone'] },
  },
  {
    scenario: 'cfn-delete-lifecycle',
    paths: ['createEvents', 'deleteTokenOnEvents', 'deletedAgain'],
    ...ignoresRequestToken,
    aws: { 'createEvents[0].carriesToken': true, 'createEvents[1].carriesToken': true, deleteTokenOnEvents: 2 },
  },
  {
    scenario: 'cfn-token-across-delete-and-recreate',
    paths: ['sameToken', 'newToken'],
    ...ignoresRequestToken,
    source: `${cloudFormationApi}/API_CreateStack.html`,
  },
  {
    scenario: 'cfn-token-across-delete-and-recreate',
    paths: ['ruleLeftBehind'],
    moto: "keeps a deleted stack's listener rule on the listener",
    awsBehaviour:
      'deleting a stack deletes its resources (unless a DeletionPolicy retains them; the tenant templates set none on the rule)',
    source: `${cloudFormationApi}/API_DeleteStack.html`,
    aws: { ruleLeftBehind: false },
  },
  {
    scenario: 'cfn-rollback-on-taken-priority',
    paths: ['outcome', 'statuses', 'firstFailure'],
    moto: "creates resources inside the CreateStack call: a resource's error (PriorityInUse) comes back from CreateStack itself, nothing rolls back, and DescribeStacks of the stack then fails with HTTP 500",
    awsBehaviour:
      "CreateStack is accepted; the failing resource is CREATE_FAILED with the service's message, and the stack goes ROLLBACK_IN_PROGRESS then ROLLBACK_COMPLETE",
    source: 'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stack-failure-options.html',
    aws: {
      'outcome.value': 'accepted',
      statuses: ['CREATE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE'],
    },
  },
  {
    scenario: 'cfn-update-suspend-and-resume',
    paths: ['suspendStatuses', 'resumeStatuses'],
    moto: 'completes a stack update within the UpdateStack call: no UPDATE_IN_PROGRESS or cleanup state is ever seen',
    awsBehaviour:
      'UpdateStack only starts the update: the stack is UPDATE_IN_PROGRESS, then UPDATE_COMPLETE_CLEANUP_IN_PROGRESS while old resources are removed, then UPDATE_COMPLETE',
    source:
      'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-monitor-stack.html',
    aws: {
      suspendStatuses: ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE'],
      resumeStatuses: ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE'],
    },
  },
  {
    scenario: 'cfn-update-suspend-and-resume',
    paths: [
      'suspended.desiredCounts[0]',
      'suspended.actions[0].type',
      'suspended.actions[0].statusCode',
      'suspended.actions[0].contentType',
      'suspended.actions[0].messageBody',
    ],
    moto: "does not apply a parameter change to the stack's existing resources: the service keeps its desired count and the listener rule keeps forwarding after TenantSuspended becomes true",
    awsBehaviour:
      "an update re-evaluates the template with the new parameters and updates every resource whose properties changed (an ECS service's DesiredCount and a listener rule's Actions update without interruption)",
    source:
      'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html',
    aws: {
      'suspended.desiredCounts[0]': 0,
      'suspended.actions[0].type': 'fixed-response',
      'suspended.actions[0].statusCode': '503',
      'suspended.actions[0].contentType': 'application/json',
    },
  },
  {
    scenario: 'cfn-update-suspend-and-resume',
    paths: ['sameUpdateAgain.thrown', 'sameUpdateAgain.message'],
    moto: 'accepts an update that changes nothing and reports UPDATE_COMPLETE',
    awsBehaviour:
      "UpdateStack with the same template and parameters fails with ValidationError 'No updates are to be performed.' (CloudFormation's answer, sometimes prefixed 'CloudFormation failed to preprocess the stack: '; no page states it, so callers match the phrase, never the whole message)",
    source: `${cloudFormationApi}/API_UpdateStack.html`,
    aws: { 'sameUpdateAgain.thrown': 'ValidationError' },
  },
  {
    scenario: 'elb-delete-rule',
    paths: ['deletedAgain', 'tags'],
    moto: "answers DeleteRule of a rule already deleted with success (its own source notes that AWS documents RuleNotFound), and DescribeTags still returns a deleted rule's tags",
    awsBehaviour: 'DeleteRule and DescribeTags fail with RuleNotFound for a rule that does not exist',
    source: `${elbApi}/API_DeleteRule.html`,
    aws: { 'deletedAgain.value': false, 'tags.value': null },
  },
  {
    scenario: 'elb-priority-out-of-range',
    paths: ['zero', 'tooHigh'],
    moto: 'accepts rule priorities 0 and 50001',
    awsBehaviour: 'Priority must be 1 to 50000; a value outside fails input validation (ValidationError)',
    source: `${elbApi}/API_CreateRule.html`,
    aws: { 'zero.thrown': 'ValidationError', 'tooHigh.thrown': 'ValidationError' },
  },
  {
    scenario: 'elb-rule-quota',
    paths: ['created', 'refusedWith'],
    moto: 'ignores the rules-per-load-balancer quota',
    awsBehaviour:
      'an Application Load Balancer holds 100 rules (default rules excluded); the next CreateRule fails with TooManyRules',
    source: 'https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html',
    aws: { created: 100, refusedWith: { thrown: 'RouteCapacityExceeded', cause: 'TooManyRulesException' } },
  },
  {
    scenario: 'ecs-services-of-a-stack',
    paths: ['settledInTime', 'services[0]'],
    moto: 'never starts tasks: runningCount stays 0 and the deployment stays IN_PROGRESS, with no service events',
    awsBehaviour:
      'a service whose tasks start reaches runningCount = desiredCount, its PRIMARY deployment rolloutState COMPLETED, and the event "(service X) has reached a steady state."',
    source: 'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html',
    aws: { settledInTime: true, 'services[0].runningCount': 1, 'services[0].rolloutState': 'COMPLETED' },
  },
  {
    scenario: 'ecs-services-of-a-stack',
    paths: ['afterDelete'],
    moto: 'keeps ECS services ACTIVE after the stack that created them is deleted',
    awsBehaviour:
      'a deleted service goes DRAINING then INACTIVE, and DescribeServices still shows it as INACTIVE for a while',
    source: 'https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteService.html',
    aws: { 'afterDelete[0].status': 'INACTIVE' },
  },
  {
    scenario: 'eventbridge-malformed-detail',
    paths: ['thrown', 'errorCode'],
    moto: 'accepts an entry whose Detail is not a JSON object',
    awsBehaviour: 'Detail must be a JSON object; the entry fails with the per-entry error code MalformedDetail',
    source: 'https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsResultEntry.html',
    aws: { errorCode: 'MalformedDetail' },
  },
  {
    scenario: 'sfn-start-execution-names',
    paths: ['described.redriveCount'],
    moto: 'leaves redriveCount out of DescribeExecution for an execution never redriven',
    awsBehaviour: 'redriveCount is 0 until the execution is redriven',
    source: 'https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html',
    aws: { 'described.redriveCount': 0 },
  },
  {
    scenario: 'cfn-stack-resources-and-rule-tags',
    paths: ['created'],
    moto: 'writes stack events for the stack itself only, none for its resources',
    awsBehaviour:
      "DescribeStackEvents lists every resource's events (CREATE_IN_PROGRESS, CREATE_COMPLETE, with logical id and type); findFirstFailure reads them",
    source: `${cloudFormationApi}/API_DescribeStackEvents.html`,
  },
  {
    scenario: 'cfn-stack-resources-and-rule-tags',
    paths: ['ruleTags'],
    moto: "tags only EC2 resources a stack creates: the stack's listener rule gets neither the stack's tags nor aws:cloudformation:*",
    awsBehaviour:
      'stack tags propagate to the resources that support tags, and CloudFormation adds aws:cloudformation:logical-id, stack-id and stack-name',
    source: 'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-resource-tags.html',
    aws: {
      'ruleTags.tenantId': 'diff-resources',
      'ruleTags.managed-by': 'tenant-orchestrator',
      'ruleTags.aws:cloudformation:logical-id': 'ListenerRule',
      'ruleTags.aws:cloudformation:stack-name': 'tenant-diff-resources',
    },
  },
];
