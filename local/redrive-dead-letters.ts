/**
 * Redrives the request dead-letter queue of a deployed orchestrator: every control-plane request
 * EventBridge could not start a workflow for (after its retry policy) is put on the bus again,
 * and its message is deleted only once PutEvents accepted the event. Run with tsx:
 *
 *   npm run redrive-dead-letters -- --stack TenantOrchestrator [--dry-run]
 *   npm run redrive-dead-letters -- --queue-url URL --bus NAME [--dry-run] [--max N]
 *
 * The message body is the original event (EventBridge's dead-letter format for rule targets).
 * It is re-put with its original time, by which the accept step orders a tenant's requests, so a
 * stale request stays stale; a request already served is recognised as a duplicate. Status-change
 * events (source `aws.states`, from the failure dead-letter queue) cannot be re-put: they are
 * left in the queue with a hint (invoke the failure reporter with the message body instead).
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';

/** What to redrive and how. */
export interface RedriveOptions {
  readonly queueUrl: string;
  readonly busName: string;
  /** List what would be re-put; send and delete nothing. */
  readonly dryRun: boolean;
  /** Stop after this many messages. */
  readonly max: number;
}

/** The clients the redrive uses (tests hand in mocked ones). */
export interface RedriveClients {
  readonly sqs: SQSClient;
  readonly eventBridge: EventBridgeClient;
}

/** What happened to the messages. */
export interface RedriveSummary {
  readonly redriven: number;
  /** PutEvents refused the event: the message stays and comes back after its visibility timeout. */
  readonly failed: number;
  /** Not a request that can be re-put (unreadable, or an AWS service event): left in the queue. */
  readonly skipped: number;
  /** Dry run: would have been re-put. */
  readonly listed: number;
}

const receiveBatch = 10;
/** Long enough for PutEvents and DeleteMessage; a message whose event was refused is retried by a later run. */
const visibilityTimeoutSeconds = 60;

/** A dead-lettered event as PutEvents takes it, or why it cannot be re-put. */
export function entryOf(body: string | undefined, busName: string): { entry: PutEventsRequestEntry; about: string } | { problem: string } {
  let event: unknown;
  try {
    event = JSON.parse(body ?? '');
  } catch {
    return { problem: 'the body is not JSON' };
  }
  if (typeof event !== 'object' || event === null) return { problem: 'the body is not an event' };
  const { source, 'detail-type': detailType, detail, resources, time } = event as Record<string, unknown>;
  if (typeof source !== 'string' || typeof detailType !== 'string' || typeof detail !== 'object' || detail === null) {
    return { problem: 'the body has no source, detail-type and detail' };
  }
  if (source.startsWith('aws.')) {
    return { problem: `${source} events cannot be put again; invoke the failure reporter function with the message body instead` };
  }
  const { tenantId, tenantRegistrationId } = detail as Record<string, unknown>;
  const parsedTime = typeof time === 'string' ? new Date(time) : undefined;
  return {
    entry: {
      EventBusName: busName,
      Source: source,
      DetailType: detailType,
      Detail: JSON.stringify(detail),
      ...(Array.isArray(resources) && resources.length > 0 ? { Resources: resources.map(String) } : {}),
      ...(parsedTime !== undefined && !Number.isNaN(parsedTime.getTime()) ? { Time: parsedTime } : {}),
    },
    // Ids only: the detail carries personal data (the admin's e-mail).
    about: `${detailType} tenant ${String(tenantId ?? '?')} registration ${String(tenantRegistrationId ?? '?')}${typeof time === 'string' ? ` of ${time}` : ''}`,
  };
}

/**
 * Receives the queue's messages until it is empty (or `max`), re-puts each request on the bus and
 * deletes a message only after PutEvents accepted its event. A message seen twice in one run (its
 * visibility ran out) ends the run rather than loop.
 */
export async function redriveDeadLetters(clients: RedriveClients, options: RedriveOptions, log: (line: string) => void): Promise<RedriveSummary> {
  const { sqs, eventBridge } = clients;
  const seen = new Set<string>();
  const summary = { redriven: 0, failed: 0, skipped: 0, listed: 0 };
  while (seen.size < options.max) {
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: Math.min(receiveBatch, options.max - seen.size),
        VisibilityTimeout: visibilityTimeoutSeconds,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = (received.Messages ?? []).filter((message) => message.MessageId !== undefined && !seen.has(message.MessageId));
    if (messages.length === 0) break;
    for (const message of messages) {
      seen.add(message.MessageId ?? '');
      const outcome = await redriveOne(message);
      summary[outcome] += 1;
    }
  }
  log(
    options.dryRun
      ? `dry run: ${summary.listed} request(s) would be put on ${options.busName} again, ${summary.skipped} left in the queue`
      : `redriven ${summary.redriven}, failed ${summary.failed}, left in the queue ${summary.skipped}`,
  );
  return summary;

  /** Re-puts one message's event (or lists it, or leaves it) and says which. */
  async function redriveOne(message: Message): Promise<keyof RedriveSummary> {
    const why = message.MessageAttributes?.ERROR_CODE?.StringValue;
    const parsed = entryOf(message.Body, options.busName);
    if ('problem' in parsed) {
      log(`skipped message ${message.MessageId ?? '?'}: ${parsed.problem}`);
      return 'skipped';
    }
    if (options.dryRun) {
      log(`would re-put ${parsed.about}${why !== undefined ? ` (dead-lettered: ${why})` : ''}`);
      // Visible again at once: a dry run leaves the queue as it found it.
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: options.queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 }));
      return 'listed';
    }
    const put = await eventBridge.send(new PutEventsCommand({ Entries: [parsed.entry] }));
    const result = put.Entries?.[0];
    if ((put.FailedEntryCount ?? 0) > 0 || result?.EventId === undefined) {
      log(`NOT re-put ${parsed.about}: ${result?.ErrorCode ?? 'no event id'} ${result?.ErrorMessage ?? ''}`.trimEnd());
      return 'failed';
    }
    await sqs.send(new DeleteMessageCommand({ QueueUrl: options.queueUrl, ReceiptHandle: message.ReceiptHandle }));
    log(`re-put ${parsed.about} as event ${result.EventId}; message deleted`);
    return 'redriven';
  }
}

/** The queue URL and bus name from the orchestrator stack's outputs. */
export async function stackTargets(cloudFormation: CloudFormationClient, stackName: string): Promise<{ queueUrl: string; busName: string }> {
  const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
  const outputs = Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((output) => [output.OutputKey, output.OutputValue]));
  const queueUrl = outputs.RequestDeadLetterQueueUrl;
  const busName = outputs.EventBusName;
  if (queueUrl === undefined || busName === undefined) {
    throw new Error(`Stack ${stackName} has no RequestDeadLetterQueueUrl and EventBusName outputs; pass --queue-url and --bus`);
  }
  return { queueUrl, busName };
}

/** The script's usage text. */
export const usage = `Usage: npm run redrive-dead-letters -- (--stack NAME | --queue-url URL --bus NAME) [--dry-run] [--max N] [--region REGION]

Puts every request in the orchestrator's request dead-letter queue on its event bus again,
deleting each message only once EventBridge accepted the event. --dry-run lists them instead.
`;

/** The command line: parsed options, or a usage error message. */
export function parseCommandLine(argv: readonly string[]): { stack?: string; queueUrl?: string; bus?: string; dryRun: boolean; max: number; region?: string; help: boolean } {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      stack: { type: 'string' },
      'queue-url': { type: 'string' },
      bus: { type: 'string' },
      'dry-run': { type: 'boolean' },
      max: { type: 'string' },
      region: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const max = values.max === undefined ? 1000 : Number(values.max);
  if (!Number.isInteger(max) || max < 1) throw new Error(`--max needs a positive whole number, got "${String(values.max)}"`);
  if (!values.help && values.stack === undefined && (values['queue-url'] === undefined || values.bus === undefined)) {
    throw new Error('pass --stack NAME, or both --queue-url URL and --bus NAME');
  }
  return {
    ...(values.stack !== undefined ? { stack: values.stack } : {}),
    ...(values['queue-url'] !== undefined ? { queueUrl: values['queue-url'] } : {}),
    ...(values.bus !== undefined ? { bus: values.bus } : {}),
    ...(values.region !== undefined ? { region: values.region } : {}),
    dryRun: values['dry-run'] ?? false,
    max,
    help: values.help ?? false,
  };
}

async function main(argv: readonly string[]): Promise<number> {
  let command: ReturnType<typeof parseCommandLine>;
  try {
    command = parseCommandLine(argv);
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (command.help) {
    process.stdout.write(usage);
    return 0;
  }
  const region = command.region !== undefined ? { region: command.region } : {};
  const targets =
    command.stack !== undefined ? await stackTargets(new CloudFormationClient(region), command.stack) : { queueUrl: command.queueUrl ?? '', busName: command.bus ?? '' };
  const summary = await redriveDeadLetters(
    { sqs: new SQSClient(region), eventBridge: new EventBridgeClient(region) },
    { queueUrl: command.queueUrl ?? targets.queueUrl, busName: command.bus ?? targets.busName, dryRun: command.dryRun, max: command.max },
    (line) => process.stdout.write(`${line}\n`),
  );
  return summary.failed > 0 || summary.skipped > 0 ? 1 : 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(3);
    },
  );
}
