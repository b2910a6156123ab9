import 'aws-sdk-client-mock-vitest/extend';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { readSample } from '../../../events/samples.ts';
import { entryOf, parseCommandLine, redriveDeadLetters, stackTargets, type RedriveOptions } from '../../../local/redrive-dead-letters.ts';

const sqs = mockClient(SQSClient);
const eventBridge = mockClient(EventBridgeClient);
const cloudFormation = mockClient(CloudFormationClient);

const queueUrl = 'https://sqs.us-east-1.amazonaws.com/111122223333/TenantOrchestrator-RequestDeadLetters';
const options: RedriveOptions = { queueUrl, busName: 'saas-bus', dryRun: false, max: 1000 };
const onboarding = readSample('onboarding-premium');
const advanced = readSample('onboarding-advanced');

function message(id: string, body: unknown, errorCode = 'THROTTLING'): Message {
  return {
    MessageId: id,
    ReceiptHandle: `receipt-${id}`,
    Body: typeof body === 'string' ? body : JSON.stringify(body),
    MessageAttributes: { ERROR_CODE: { DataType: 'String', StringValue: errorCode } },
  };
}

/** The entry PutEvents must get for a dead-lettered event: the original fields and time, on the bus. */
function expectedEntry(event: Record<string, unknown> & { detail: Record<string, unknown> }) {
  return { EventBusName: 'saas-bus', Source: String(event.source), DetailType: String(event['detail-type']), Detail: JSON.stringify(event.detail), Time: new Date(String(event.time)) };
}

let lines: string[];
const log = (line: string) => void lines.push(line);

beforeEach(() => {
  sqs.reset();
  eventBridge.reset();
  cloudFormation.reset();
  lines = [];
});

describe('redriveDeadLetters', () => {
  it('re-puts each request with its original fields and time, and deletes a message only once PutEvents accepted it', async () => {
    sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: [message('m1', onboarding), message('m2', advanced)] }).resolves({});
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: 'evt-1' }] })
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }] });

    const summary = await redriveDeadLetters({ sqs: new SQSClient({}), eventBridge: new EventBridgeClient({}) }, options, log);

    expect(summary).toEqual({ redriven: 1, failed: 1, skipped: 0, listed: 0 });
    expect(sqs).toHaveReceivedCommandWith(ReceiveMessageCommand, {
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: 60,
      WaitTimeSeconds: 1,
      MessageAttributeNames: ['All'],
    });
    expect(eventBridge).toHaveReceivedNthCommandWith(PutEventsCommand, 1, { Entries: [expectedEntry(onboarding)] });
    expect(eventBridge).toHaveReceivedNthCommandWith(PutEventsCommand, 2, { Entries: [expectedEntry(advanced)] });
    expect(sqs).toHaveReceivedCommandTimes(DeleteMessageCommand, 1);
    expect(sqs).toHaveReceivedCommandWith(DeleteMessageCommand, { QueueUrl: queueUrl, ReceiptHandle: 'receipt-m1' });
    expect(lines.join('\n')).toContain(`NOT re-put sbt_aws_onboardingRequest tenant ${String(advanced.detail.tenantId)}`);
    expect(lines.join('\n')).not.toContain('@');
  });

  it('--dry-run lists the requests, makes them visible again at once, and neither puts nor deletes', async () => {
    sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: [message('m1', onboarding)] }).resolves({});

    const summary = await redriveDeadLetters({ sqs: new SQSClient({}), eventBridge: new EventBridgeClient({}) }, { ...options, dryRun: true }, log);

    expect(summary).toEqual({ redriven: 0, failed: 0, skipped: 0, listed: 1 });
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
    expect(sqs).toHaveReceivedCommandTimes(DeleteMessageCommand, 0);
    expect(sqs).toHaveReceivedCommandWith(ChangeMessageVisibilityCommand, { QueueUrl: queueUrl, ReceiptHandle: 'receipt-m1', VisibilityTimeout: 0 });
    expect(lines[0]).toBe(
      `would re-put sbt_aws_onboardingRequest tenant ${String(onboarding.detail.tenantId)} registration ${String(onboarding.detail.tenantRegistrationId)} of ${String(onboarding.time)} (dead-lettered: THROTTLING)`,
    );
  });

  it('leaves unreadable messages and AWS service events in the queue', async () => {
    const statusChange = { source: 'aws.states', 'detail-type': 'Step Functions Execution Status Change', detail: { status: 'FAILED' } };
    sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: [message('m1', 'not json'), message('m2', statusChange), message('m3', { hello: 1 })] }).resolves({});

    const summary = await redriveDeadLetters({ sqs: new SQSClient({}), eventBridge: new EventBridgeClient({}) }, options, log);

    expect(summary).toEqual({ redriven: 0, failed: 0, skipped: 3, listed: 0 });
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
    expect(sqs).toHaveReceivedCommandTimes(DeleteMessageCommand, 0);
    expect(lines).toContain('skipped message m2: aws.states events cannot be put again; invoke the failure reporter function with the message body instead');
  });

  it('stops when a message comes back in the same run, and after --max messages', async () => {
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [message('m1', onboarding)] });
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });

    const again = await redriveDeadLetters({ sqs: new SQSClient({}), eventBridge: new EventBridgeClient({}) }, options, log);
    sqs.reset();
    sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: [message('a', onboarding)] }).resolves({ Messages: [message('b', advanced)] });
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
    const limited = await redriveDeadLetters({ sqs: new SQSClient({}), eventBridge: new EventBridgeClient({}) }, { ...options, max: 1 }, log);

    expect(again).toEqual({ redriven: 0, failed: 1, skipped: 0, listed: 0 });
    expect(limited).toEqual({ redriven: 1, failed: 0, skipped: 0, listed: 0 });
    expect(sqs).toHaveReceivedCommandWith(ReceiveMessageCommand, { MaxNumberOfMessages: 1 });
    expect(sqs).toHaveReceivedCommandTimes(ReceiveMessageCommand, 1);
  });
});

describe('entryOf', () => {
  it('keeps resources and drops a time that is not a date', () => {
    const parsed = entryOf(JSON.stringify({ ...onboarding, resources: ['arn:x'], time: 'yesterday' }), 'saas-bus');

    expect(parsed).toMatchObject({ entry: { Resources: ['arn:x'] } });
    expect('entry' in parsed ? Object.keys(parsed.entry) : []).not.toContain('Time');
  });
});

describe('stackTargets', () => {
  it('reads the queue URL and bus name from the stack outputs', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'TenantOrchestrator',
          StackStatus: 'CREATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: [
            { OutputKey: 'RequestDeadLetterQueueUrl', OutputValue: queueUrl },
            { OutputKey: 'EventBusName', OutputValue: 'saas-bus' },
          ],
        },
      ],
    });

    await expect(stackTargets(new CloudFormationClient({}), 'TenantOrchestrator')).resolves.toEqual({ queueUrl, busName: 'saas-bus' });
    expect(cloudFormation).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'TenantOrchestrator' });
  });

  it('says what to pass when the outputs are missing', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'Other', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(), Outputs: [] }] });

    await expect(stackTargets(new CloudFormationClient({}), 'Other')).rejects.toThrow(/pass --queue-url and --bus/);
  });
});

describe('parseCommandLine', () => {
  it('reads a stack or a queue and bus, --dry-run and --max', () => {
    expect(parseCommandLine(['--stack', 'TenantOrchestrator', '--dry-run'])).toEqual({ stack: 'TenantOrchestrator', dryRun: true, max: 1000, help: false });
    expect(parseCommandLine(['--queue-url', queueUrl, '--bus', 'saas-bus', '--max', '5'])).toEqual({ queueUrl, bus: 'saas-bus', dryRun: false, max: 5, help: false });
  });

  it.each([[[]], [['--queue-url', queueUrl]], [['--stack', 's', '--max', '0']], [['--stak', 's']]])('refuses %j', (argv) => {
    expect(() => parseCommandLine(argv)).toThrow();
  });
});
