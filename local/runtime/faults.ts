/**
 * Failures to rehearse (`--fail`): a step's task throws before its handler runs, or an SDK call
 * fails inside the handlers' real client (so the adapter's error handling is what runs).
 */
import * as CloudFormation from '@aws-sdk/client-cloudformation';
import * as DynamoDb from '@aws-sdk/client-dynamodb';
import * as Ecs from '@aws-sdk/client-ecs';
import * as Elb from '@aws-sdk/client-elastic-load-balancing-v2';
import * as EventBridge from '@aws-sdk/client-eventbridge';
import * as StepFunctions from '@aws-sdk/client-sfn';
import {
  cloudFormationClient,
  dynamoDbClient,
  ecsClient,
  elbClient,
  eventBridgeClient,
  sfnClient,
} from '../../functions/shared/aws-clients.ts';
import { clearSdkFaults, injectSdkFault } from '../sdk-faults.ts';
import type { InjectedFault } from './api.ts';

/** The error a `{ step }` fault throws in place of the step's handler. */
export class InjectedFaultError extends Error {
  override readonly name = 'InjectedFault';
}

interface FaultableService {
  readonly name: string;
  readonly client: () => Parameters<typeof injectSdkFault>[0];
  /** The client package: its `<Operation>Command` exports are the operations that exist. */
  readonly commands: Readonly<Record<string, unknown>>;
}

const services: readonly FaultableService[] = [
  { name: 'CloudFormation', client: cloudFormationClient, commands: CloudFormation },
  { name: 'ElasticLoadBalancingV2', client: elbClient, commands: Elb },
  { name: 'ECS', client: ecsClient, commands: Ecs },
  { name: 'DynamoDB', client: dynamoDbClient, commands: DynamoDb },
  { name: 'EventBridge', client: eventBridgeClient, commands: EventBridge },
  { name: 'StepFunctions', client: sfnClient, commands: StepFunctions },
];

const aliases: Readonly<Record<string, string>> = { elb: 'ElasticLoadBalancingV2', elbv2: 'ElasticLoadBalancingV2', sfn: 'StepFunctions', states: 'StepFunctions' };

function serviceNamed(name: string): FaultableService {
  const wanted = (aliases[name.toLowerCase()] ?? name).toLowerCase();
  const service = services.find((candidate) => candidate.name.toLowerCase() === wanted);
  if (!service) {
    throw new Error(`Unknown service "${name}" for a fault; use one of ${services.map((s) => s.name).join(', ')} (or ELB, SFN)`);
  }
  return service;
}

/** The SDK command name (`CreateStackCommand`) of an operation, spelled in any case. */
function commandNamed(service: FaultableService, operation: string): string {
  const wanted = `${operation.replace(/Command$/i, '')}Command`.toLowerCase();
  const command = Object.keys(service.commands).find((key) => key.toLowerCase() === wanted && typeof service.commands[key] === 'function');
  if (!command) throw new Error(`${service.name} has no operation "${operation}"`);
  return command;
}

/** The faults in force in one runtime. */
export class FaultPlan {
  readonly #taskStates: ReadonlySet<string>;
  #steps: { step: string; remaining: number }[] = [];

  /** `taskStates`: the Task states of both workflows, the only places a step fault can apply. */
  constructor(taskStates: Iterable<string>) {
    this.#taskStates = new Set(taskStates);
  }

  /**
   * Adds a fault; `times` defaults to every attempt until {@link clear}.
   *
   * @throws Error naming what is wrong when the step, service or operation does not exist.
   */
  inject(fault: InjectedFault): void {
    const times = fault.times ?? Number.POSITIVE_INFINITY;
    if (!(times > 0)) throw new Error(`A fault must apply at least once (times: ${String(fault.times)})`);
    if ('step' in fault) {
      if (!this.#taskStates.has(fault.step)) {
        throw new Error(`No task state is named "${fault.step}"; use one of ${[...this.#taskStates].join(', ')}`);
      }
      this.#steps.push({ step: fault.step, remaining: times });
      return;
    }
    const service = serviceNamed(fault.service);
    const command = commandNamed(service, fault.operation);
    const message = `Injected by --fail ${service.name}:${command.replace(/Command$/, '')}`;
    // A client fault: a server fault would be retried away, and the point is to see the step fail.
    injectSdkFault(service.client(), {
      command,
      times,
      error: () => Object.assign(new Error(message), { name: 'InjectedFault', $fault: 'client', $metadata: { httpStatusCode: 400 } }),
    });
  }

  clear(): void {
    this.#steps = [];
    for (const service of services) clearSdkFaults(service.client());
  }

  /** Called before each task attempt: throws when a fault for this state is still due. */
  checkStep(stateName: string): void {
    const fault = this.#steps.find((candidate) => candidate.step === stateName && candidate.remaining > 0);
    if (!fault) return;
    fault.remaining -= 1;
    throw new InjectedFaultError(`Injected by --fail ${stateName}`);
  }
}
