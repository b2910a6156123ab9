/**
 * Connects the handlers' own SDK clients (the singletons of functions/shared/aws/clients.ts) to
 * the local runtime, inside the clients: a middleware answers each call from the local cloud,
 * the execution store or the local bus, so adapters, error translation and fault injection run
 * exactly as in AWS. DynamoDB calls really go over HTTP, to the runtime's dynalite.
 */
import {
  cloudFormationClient,
  dynamoDbClient,
  ecsClient,
  elbClient,
  eventBridgeClient,
  sfnClient,
} from '../../functions/shared/aws/clients.ts';

/** Services the runtime answers itself (DynamoDB is served by dynalite instead). */
export type AnsweredService = 'CloudFormation' | 'ElasticLoadBalancingV2' | 'ECS' | 'EventBridge' | 'StepFunctions';

/** One operation's answer: the SDK command's output, or the SDK's exception thrown. */
export type Operation = (input: any) => unknown;

/** Per service, operation name (`CreateStack`) -> answer. */
export type ServiceAnswers = Readonly<Record<AnsweredService, Readonly<Record<string, Operation>>>>;

interface ClientWithStack {
  middlewareStack: { add(middleware: any, options: Record<string, unknown>): void };
}

const clients: Readonly<Record<AnsweredService, () => ClientWithStack>> = {
  CloudFormation: cloudFormationClient,
  ElasticLoadBalancingV2: elbClient,
  ECS: ecsClient,
  EventBridge: eventBridgeClient,
  StepFunctions: sfnClient,
};

let answers: ServiceAnswers | undefined;
let dynamoDbEndpoint: URL | undefined;
let attached = false;

/**
 * Answers every call of the handlers' clients from `serviceAnswers` and sends DynamoDB calls to
 * `dynamoDb`. The middleware is attached once per process; later calls only switch the target.
 * With both undefined (the runtime closed) the clients behave as if it had never been there, so
 * tests that mock the same clients can share the process.
 */
export function routeSdkCalls(serviceAnswers: ServiceAnswers | undefined, dynamoDb: string | undefined): void {
  answers = serviceAnswers;
  dynamoDbEndpoint = dynamoDb === undefined ? undefined : new URL(dynamoDb);
  if (attached) return;
  attached = true;
  for (const [service, client] of Object.entries(clients) as [AnsweredService, () => ClientWithStack][]) {
    client().middlewareStack.add(
      (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
        async (args: { input: Record<string, unknown> }) => {
          if (!answers) return next(args);
          const output = await answer(service, context.commandName ?? '', args.input);
          return {
            output: { $metadata: { httpStatusCode: 200, attempts: 1, totalRetryDelay: 0 }, ...(output as object) },
            response: {},
          };
        },
      // Low priority: fault injection (initialize, high) decides first, as a failing network would.
      { step: 'initialize', priority: 'low', name: 'localRuntimeAnswers' },
    );
  }
  // The client fixes its endpoint at its first call; a runtime reopened on a new port redirects here.
  dynamoDbClient().middlewareStack.add(
    (next: (args: any) => Promise<any>) => async (args: any) => {
      if (!dynamoDbEndpoint) return next(args);
      const request = args.request as {
        protocol: string;
        hostname: string;
        port?: number;
        headers: Record<string, string>;
      };
      request.protocol = dynamoDbEndpoint.protocol;
      request.hostname = dynamoDbEndpoint.hostname;
      request.port = Number(dynamoDbEndpoint.port);
      delete request.headers.host;
      return next(args);
    },
    { step: 'build', priority: 'high', name: 'localRuntimeDynamoDbEndpoint' },
  );
}

function answer(service: AnsweredService, commandName: string, input: Record<string, unknown>): unknown {
  const operation = commandName.replace(/Command$/, '');
  const handler = answers?.[service][operation];
  if (!handler) {
    throw new Error(
      `The local runtime does not model ${service} ${operation} (${commandName}); only ${Object.keys(answers?.[service] ?? {}).join(', ')}`,
    );
  }
  return handler(input);
}
