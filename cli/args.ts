/**
 * Command-line parsing: argv in, a {@link Command} out, or a {@link UsageError}. Pure: no I/O.
 * Values are not judged here (an unknown tier or a malformed tenant id is the workflow's to
 * answer, as it would be for any control plane); only the shape of the command line is.
 */
import { parseArgs } from 'node:util';
import type { DriftChange, InjectedFault, SdkFaultKind } from '../local/runtime/api.ts';
import { defaultStackName, type AwsTarget } from './aws/deployment.ts';
import { UsageError } from './exit-codes.ts';

/** Options shared by the commands that start a workflow. */
interface StartOptions {
  /** Wait for the execution to end and judge its outcome (default true). */
  readonly wait: boolean;
  readonly json: boolean;
  /** Failures to rehearse, injected before the event is sent. */
  readonly faults: readonly InjectedFault[];
  /** Print every state of every execution, even without a terminal (default: outcomes only). */
  readonly verbose: boolean;
  /** Against a deployed stack (`--aws`): started through its admission path (cli/aws/runtime.ts). */
  readonly aws?: AwsTarget;
}

/** A parsed command line: which command, with its options. */
export type Command =
  | { readonly kind: 'help' }
  | { readonly kind: 'demo'; readonly faults: readonly InjectedFault[]; readonly verbose: boolean }
  | ({
      readonly kind: 'onboard';
      readonly tenantName: string;
      readonly tier: string;
      readonly tenantId?: string;
    } & StartOptions)
  | ({ readonly kind: 'offboard'; readonly tenant: string } & StartOptions)
  | ({ readonly kind: 'suspend' | 'resume'; readonly tenant: string } & StartOptions)
  | ({
      readonly kind: 'update';
      readonly tenant: string;
      readonly tier?: string;
      readonly templateVersion?: string;
    } & StartOptions)
  | ({ readonly kind: 'send'; readonly file: string } & StartOptions)
  | ({ readonly kind: 'replay' | 'redrive'; readonly execution: string } & StartOptions)
  | {
      readonly kind: 'dead-letters';
      readonly redrive: boolean;
      readonly wait: boolean;
      readonly json: boolean;
      readonly verbose: boolean;
      /** Lists a deployed stack's request dead-letter queue (`--redrive --aws` is `dead-letters-aws`). */
      readonly aws?: AwsTarget;
    }
  /** `dead-letters --redrive --aws ...`: the tool against a deployed stack, with its own options (cli/aws/dead-letters.ts). */
  | { readonly kind: 'dead-letters-aws'; readonly argv: readonly string[] }
  | { readonly kind: 'history'; readonly execution: string; readonly json: boolean; readonly aws?: AwsTarget }
  | { readonly kind: 'replies'; readonly json: boolean; readonly raw: boolean }
  | { readonly kind: 'tenants' | 'executions' | 'fleet'; readonly json: boolean; readonly aws?: AwsTarget }
  | { readonly kind: 'pin' | 'unpin'; readonly tenant: string; readonly aws?: AwsTarget }
  | {
      readonly kind: 'reconcile';
      readonly json: boolean;
      readonly repair: boolean;
      readonly detectDrift: boolean;
      readonly aws?: AwsTarget;
    }
  | {
      readonly kind: 'rollout';
      readonly request: RolloutRequest;
      readonly dryRun: boolean;
      readonly json: boolean;
      /** Failures to rehearse during the rollout (local runtime only). */
      readonly faults: readonly InjectedFault[];
      /** Against a deployed stack: its registry, and (not a dry run) its rollout state machine. */
      readonly aws?: AwsTarget;
    }
  | { readonly kind: 'drift'; readonly tenant: string; readonly change: DriftChange }
  | { readonly kind: 'resources'; readonly json: boolean }
  | { readonly kind: 'reset' }
  /** One test tenant per tier onboarded and offboarded on a deployed stack (cli/aws/smoke.ts). */
  | { readonly kind: 'smoke'; readonly json: boolean; readonly tier?: string; readonly aws: AwsTarget }
  /** Once after deploying the release that added the tenant list: list the older tenant records (cli/aws/commands.ts). */
  | { readonly kind: 'index-tenants'; readonly aws: AwsTarget };

/** The commands that only read the state: they run at once on the last saved state, even while another command runs. */
export function readsOnly(command: Command): boolean {
  switch (command.kind) {
    case 'tenants':
    case 'executions':
    case 'fleet':
    case 'replies':
    case 'resources':
    case 'history':
      return true;
    case 'dead-letters':
      return !command.redrive;
    case 'rollout':
      return command.dryRun;
    case 'reconcile':
      return !command.repair;
    default:
      return false;
  }
}

/** The commands of the command line (`dead-letters-aws` is `dead-letters --redrive --aws`). */
export type CommandName = Exclude<Command['kind'], 'help' | 'dead-letters-aws'>;

const optionSpec = {
  tenant: { type: 'string' },
  tier: { type: 'string' },
  version: { type: 'string' },
  id: { type: 'string' },
  fail: { type: 'string', multiple: true },
  wait: { type: 'boolean' },
  'no-wait': { type: 'boolean' },
  json: { type: 'boolean' },
  redrive: { type: 'boolean' },
  raw: { type: 'boolean' },
  verbose: { type: 'boolean' },
  aws: { type: 'boolean' },
  'delete-rule': { type: 'boolean' },
  'delete-stack': { type: 'boolean' },
  'scale-to-zero': { type: 'boolean' },
  stack: { type: 'string' },
  region: { type: 'string' },
  model: { type: 'string' },
  tenants: { type: 'string' },
  waves: { type: 'string' },
  concurrency: { type: 'string' },
  'max-failures': { type: 'string' },
  bake: { type: 'string' },
  alarms: { type: 'string' },
  'dry-run': { type: 'boolean' },
  repair: { type: 'boolean' },
  'detect-drift': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;
type OptionName = keyof typeof optionSpec;

const startOptions: readonly OptionName[] = ['wait', 'no-wait', 'json', 'fail', 'verbose'];
/** The out-of-band changes `drift` makes. */
const driftChanges = ['delete-rule', 'delete-stack', 'scale-to-zero'] as const satisfies readonly DriftChange[];

/** Against a deployed stack instead of the local runtime (cli/aws/commands.ts). */
const awsOptions: readonly OptionName[] = ['aws', 'stack', 'region'];

/** Which options each command accepts, and how many positional arguments it takes. */
const commandShapes: Record<CommandName, { readonly options: readonly OptionName[]; readonly positional?: string }> = {
  demo: { options: ['fail', 'verbose'] },
  onboard: { options: ['tenant', 'tier', 'id', ...startOptions, ...awsOptions] },
  offboard: { options: ['tenant', ...startOptions, ...awsOptions] },
  suspend: { options: ['tenant', ...startOptions, ...awsOptions] },
  resume: { options: ['tenant', ...startOptions, ...awsOptions] },
  update: { options: ['tenant', 'tier', 'version', ...startOptions, ...awsOptions] },
  send: { options: [...startOptions, ...awsOptions], positional: 'FILE.json' },
  replay: { options: [...startOptions, ...awsOptions], positional: 'EXECUTION' },
  redrive: { options: [...startOptions, ...awsOptions], positional: 'EXECUTION' },
  'dead-letters': { options: ['json', 'redrive', 'wait', 'no-wait', 'verbose', ...awsOptions] },
  history: { options: ['json', ...awsOptions], positional: 'EXECUTION' },
  tenants: { options: ['json', ...awsOptions] },
  executions: { options: ['json', ...awsOptions] },
  fleet: { options: ['json', ...awsOptions] },
  pin: { options: ['tenant', ...awsOptions] },
  reconcile: { options: ['json', 'repair', 'detect-drift', ...awsOptions] },
  rollout: {
    options: [
      'model',
      'version',
      'tier',
      'tenants',
      'waves',
      'concurrency',
      'max-failures',
      'bake',
      'alarms',
      'dry-run',
      'json',
      'fail',
      ...awsOptions,
    ],
  },
  drift: { options: ['tenant', 'delete-rule', 'delete-stack', 'scale-to-zero'] },
  unpin: { options: ['tenant', ...awsOptions] },
  replies: { options: ['json', 'raw'] },
  resources: { options: ['json'] },
  reset: { options: [] },
  smoke: { options: ['json', 'tier', ...awsOptions] },
  'index-tenants': { options: [...awsOptions] },
};

function isCommandName(value: string): value is CommandName {
  return Object.hasOwn(commandShapes, value);
}

const sdkFaultKinds: readonly string[] = ['client', 'throttling', 'server'] satisfies readonly SdkFaultKind[];

/**
 * Reads a `--fail` value: `StateName` fails that workflow state's task, `StateName:timeout-after`
 * runs its handler and then times the attempt out, `Service:Operation` (e.g.
 * `CloudFormation:CreateStack`) makes that SDK call fail inside the real client, and
 * `Service:Operation:throttling` (or `:server`, `:client`) chooses how. A trailing `@TENANT_ID`
 * fails it only in the executions working for that tenant.
 */
export function parseFault(text: string): InjectedFault {
  if (text.length > 200) throw new UsageError('--fail is longer than 200 characters');
  const at = text.indexOf('@');
  if (at === -1) return parseUnscopedFault(text);
  const tenantId = text.slice(at + 1);
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/.test(tenantId))
    throw new UsageError(
      `--fail ...[@TENANT_ID] needs a tenant id (letters, digits and hyphens) after the @, got "${tenantId}"`,
    );
  return { ...parseUnscopedFault(text.slice(0, at)), tenantId };
}

function parseUnscopedFault(text: string): InjectedFault {
  const identifier = /^[A-Za-z][A-Za-z0-9]*$/;
  const parts = text.split(':');
  const [first = '', second = '', third = ''] = parts;
  if (parts.length === 1 && identifier.test(text)) return { step: text };
  if (parts.length === 2 && identifier.test(first) && (second === 'timeout-after' || second === 'throttled'))
    return { step: first, kind: second };
  if (parts.length === 2 && identifier.test(first) && identifier.test(second))
    return { service: first, operation: second };
  if (parts.length === 3 && identifier.test(first) && identifier.test(second) && sdkFaultKinds.includes(third)) {
    return { service: first, operation: second, kind: third as SdkFaultKind };
  }
  throw new UsageError(
    `--fail expects a state name (CreateTenantStacks[:timeout-after|throttled]) or Service:Operation[:throttling|server|client] (CloudFormation:CreateStack), either with an optional @TENANT_ID, got "${text}"`,
  );
}

/** `rollout`'s options as given; cli/rollout.ts judges the values (functions/rollout/plan.ts). */
export interface RolloutRequest {
  readonly model: string;
  readonly version: string;
  readonly tier?: string;
  readonly tenants?: string;
  readonly waves?: string;
  readonly concurrency?: string;
  readonly maxFailures?: string;
  readonly bake?: string;
  /** CloudWatch alarm names the health gate reads, separated by commas. */
  readonly alarms?: string;
}

function rolloutRequest(values: ReturnType<typeof parseTokens>['values'], command: string): RolloutRequest {
  const optional = {
    tier: values.tier,
    tenants: values.tenants,
    waves: values.waves,
    concurrency: values.concurrency,
    maxFailures: values['max-failures'],
    bake: values.bake,
    alarms: values.alarms,
  };
  return {
    model: required(values.model, 'model MODEL', command),
    version: required(values.version, 'version VERSION', command),
    ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
  };
}

function parseTokens(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: optionSpec, allowPositionals: true, strict: true, tokens: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function required(value: string | undefined, flag: string, command: string): string {
  if (value === undefined) throw new UsageError(`${command} needs --${flag}`);
  return value;
}

/**
 * `dead-letters --redrive --aws ...`: everything but those three words goes to the AWS tool, which
 * has options of its own (`--stack`, `--dry-run`...). Undefined for any other command line.
 */
function awsDeadLetters(argv: readonly string[]): Command | undefined {
  if (!argv.includes('--aws')) return undefined;
  const command = argv.find((argument) => !argument.startsWith('-'));
  if (command !== 'dead-letters' || !argv.includes('--redrive')) return undefined;
  const rest = [...argv];
  for (const word of ['dead-letters', '--redrive', '--aws']) rest.splice(rest.indexOf(word), 1);
  return { kind: 'dead-letters-aws', argv: rest };
}

/** Parses the arguments after the program name. Throws {@link UsageError} for anything malformed. */
export function parseCommandLine(argv: readonly string[]): Command {
  const deadLettersAws = awsDeadLetters(argv);
  if (deadLettersAws !== undefined) return deadLettersAws;
  const { values, positionals, tokens } = parseTokens(argv);
  if (values.help) return { kind: 'help' };
  const [first, ...rest] = positionals;
  if (first === 'help') return { kind: 'help' };
  const name = first ?? 'demo';
  if (!isCommandName(name)) throw new UsageError(`unknown command "${name}"`);
  const shape = commandShapes[name];

  for (const token of tokens) {
    if (token.kind === 'option' && !shape.options.includes(token.name as OptionName)) {
      throw new UsageError(`${name} does not take --${token.name}`);
    }
  }
  if (shape.positional === undefined && rest.length > 0) {
    throw new UsageError(`${name} takes no argument, got "${rest[0]}"`);
  }
  if (shape.positional !== undefined && rest.length !== 1) {
    throw new UsageError(`${name} needs exactly one ${shape.positional}`);
  }
  if (values.wait && values['no-wait']) throw new UsageError('--wait and --no-wait contradict each other');
  if (values.raw && !values.json) throw new UsageError('--raw changes what --json prints: use replies --json --raw');
  if ((values.stack !== undefined || values.region !== undefined) && !values.aws)
    throw new UsageError('--stack and --region choose a deployed stack: add --aws');
  if (values.stack !== undefined && !/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(values.stack))
    throw new UsageError(
      `--stack needs a CloudFormation stack name (letters, digits and hyphens), got "${values.stack}"`,
    );
  if (values.region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(values.region))
    throw new UsageError(`--region needs an AWS Region such as us-east-1, got "${values.region}"`);
  const target: { aws?: AwsTarget } = values.aws
    ? {
        aws: {
          stack: values.stack ?? defaultStackName,
          ...(values.region !== undefined ? { region: values.region } : {}),
        },
      }
    : {};

  if (values.aws && values.fail !== undefined)
    throw new UsageError('--fail rehearses failures on the local runtime: it cannot be used with --aws');
  const json = values.json ?? false;
  const verbose = values.verbose ?? false;
  const faults = (values.fail ?? []).map(parseFault);
  const start: StartOptions = { wait: !values['no-wait'], json, faults, verbose, ...target };
  const positional = rest[0] ?? '';
  switch (name) {
    case 'demo':
      return { kind: 'demo', faults, verbose };
    case 'onboard':
      return {
        kind: 'onboard',
        tenantName: required(values.tenant, 'tenant NAME', name),
        tier: required(values.tier, 'tier TIER', name),
        ...(values.id !== undefined ? { tenantId: values.id } : {}),
        ...start,
      };
    case 'offboard':
      return { kind: 'offboard', tenant: required(values.tenant, 'tenant ID', name), ...start };
    case 'suspend':
    case 'resume':
      return { kind: name, tenant: required(values.tenant, 'tenant ID', name), ...start };
    case 'update': {
      const tenant = required(values.tenant, 'tenant ID', name);
      if (values.tier === undefined && values.version === undefined)
        throw new UsageError('update needs --tier T and/or --version V (what to change)');
      return {
        kind: 'update',
        tenant,
        ...(values.tier !== undefined ? { tier: values.tier } : {}),
        ...(values.version !== undefined ? { templateVersion: values.version } : {}),
        ...start,
      };
    }
    case 'send':
      return { kind: 'send', file: positional, ...start };
    case 'replay':
    case 'redrive':
      return { kind: name, execution: positional, ...start };
    case 'dead-letters':
      return { kind: 'dead-letters', redrive: values.redrive ?? false, wait: start.wait, json, verbose, ...target };
    case 'history':
      return { kind: 'history', execution: positional, json, ...target };
    case 'reset':
      return { kind: 'reset' };
    case 'replies':
      return { kind: 'replies', json, raw: values.raw ?? false };
    case 'tenants':
    case 'executions':
    case 'fleet':
      return { kind: name, json, ...target };
    case 'pin':
    case 'unpin':
      return { kind: name, tenant: required(values.tenant, 'tenant ID', name), ...target };
    case 'reconcile':
      return {
        kind: 'reconcile',
        json,
        repair: values.repair ?? false,
        detectDrift: values['detect-drift'] ?? false,
        ...target,
      };
    case 'rollout':
      return {
        kind: 'rollout',
        request: rolloutRequest(values, name),
        dryRun: values['dry-run'] === true,
        json,
        faults,
        ...target,
      };
    case 'smoke':
      if (target.aws === undefined)
        throw new UsageError('smoke tests a deployed stack: add --aws [--stack NAME] [--region REGION]');
      return { kind: 'smoke', json, ...(values.tier !== undefined ? { tier: values.tier } : {}), aws: target.aws };
    case 'index-tenants':
      if (target.aws === undefined)
        throw new UsageError(
          'index-tenants lists the tenant records of a deployed stack (the local runtime does it on its own): add --aws [--stack NAME] [--region REGION]',
        );
      return { kind: 'index-tenants', aws: target.aws };
    case 'drift': {
      const changes = driftChanges.filter((change) => values[change] === true);
      if (changes.length !== 1)
        throw new UsageError('drift needs exactly one of --delete-rule, --delete-stack, --scale-to-zero');
      return { kind: 'drift', tenant: required(values.tenant, 'tenant ID', name), change: changes[0] as DriftChange };
    }
    default:
      return { kind: name, json };
  }
}

/** The usage text (`--help`), exit codes included. */
export function usageText(program: string): string {
  return `Usage: ${program} [COMMAND] [OPTIONS]

Runs the tenant orchestrator's workflows locally, on a simulated AWS account kept in
.tenant-orchestrator/ (or $TENANT_ORCHESTRATOR_STATE); with --aws, the same commands act on a
deployed stack (see --aws below).

Commands:
  (none) | demo                 onboard one tenant per tier at once, list what was built,
                                then offboard the premium tenant
  onboard --tenant NAME --tier TIER [--id TENANT_ID]
                                send an onboarding request for a new tenant
  offboard --tenant ID|NAME     send an offboarding request for a tenant (a name must be
                                one tenant's: an ambiguous name lists the ids)
  suspend --tenant ID|NAME      send a deactivateRequest: the tenant's route answers a fixed
                                503 and a silo tenant's services scale to 0
  resume --tenant ID|NAME       send an activateRequest: the route forwards again and the
                                services run their desired counts (waits until stable)
  update --tenant ID|NAME [--tier TIER] [--version V]
                                send a tenantUpdateRequest (at least one of the two): --version
                                moves a silo tenant's stacks to that published template
                                version (fleet shows it); --tier moves the tenant to that
                                tier without downtime, keeping its address
  send FILE.json                put any event on the bus (e.g. events/samples/*.json)
  replay EXECUTION              run a failed execution's input again as a new execution
                                (as when the control plane sends the request again)
  redrive EXECUTION             resume a failed execution at the state it failed at, as the
                                console's Redrive does
  dead-letters [--redrive]      requests whose workflow could not be started (kept after the
                                admission's retries); --redrive starts each again
  dead-letters --redrive --aws [--stack NAME] [--dry-run] [--queue-url URL] [--config FILE]
               [--max N] [--region REGION]
                                the same against a deployed stack's request dead-letter queue
                                (AWS credentials from the environment; add --help for more)
  smoke --aws [--tier TIER]     after a deployment: onboard one test tenant per tier (ids
                                smoke-TIER-..., names "smoke test ..."), wait for the replies
                                on the stack's reply queue (deploy with replyQueue: true), show
                                how long each took, offboard them; exit 0 only if all succeeded
  index-tenants --aws           once, after deploying the release that added the registry's
                                tenant list: puts the tenant records older releases wrote on
                                it and marks it complete (a rollout refuses to plan before)
  tenants                       the tenant registry: id, name, tier, isolation, status, route
  executions                    every execution with its status and where it failed
  fleet                         every live tenant's isolation model, tier, template version,
                                pin and status, and the number of tenants per version
  pin --tenant ID|NAME          mark a tenant pinned, to keep it on its template version;
  unpin --tenant ID|NAME        clear the mark (fleet shows it)
  reconcile [--repair] [--detect-drift]
                                compare the registry with the account: orphaned rules and
                                stacks, missing stacks, rules and services, services below
                                their desired count, priority claims that disagree with the
                                listener; --repair deletes the orphans of offboarded tenants,
                                re-creates an ACTIVE pool tenant's missing rule, and says why
                                it leaves each other finding (exit 1 when any finding is left
                                unrepaired); --detect-drift starts CloudFormation drift
                                detection of the tenant stacks, whose results (stack-drift)
                                show in the next reconcile
  rollout --model MODEL --version VERSION [--tier TIER] [--tenants ID,...]
          [--waves 1,10%,100%] [--concurrency 5] [--max-failures 0|N|P%] [--bake 300]
          [--alarms NAME,...] [--dry-run]
                                roll a template version out in waves (cumulative shares of
                                the selected tenants), CONCURRENCY tenants at a time, a bake
                                and a health gate (services stable, no named alarm in ALARM)
                                after each wave; too many failed tenants or a failed gate
                                halts it and rolls the wave back (exit 1); pinned and
                                suspended tenants and tenants with a tier change in flight
                                are skipped, tenants already on VERSION
                                left alone, so running it again resumes; --dry-run: the plan
  drift --tenant ID|NAME --delete-rule | --delete-stack | --scale-to-zero
                                change a tenant's resources in the simulated account behind
                                the orchestrator's back, to rehearse reconcile
  replies [--json [--raw]]      the replies the control plane received; --raw: each event
                                exactly as put on the bus (source, detail-type, detail)
  history EXECUTION             an execution's state-by-state history
  resources                     stacks, listener rules and services in the simulated account
  reset                         forget everything (cloud, registry, executions, replies)

Commands that change the state wait up to 30 s for another command using the state folder,
then give up (exit 2). Listings run at once on the state last saved, and say when another
command is still running.

Options:
  --wait / --no-wait            wait for the workflow to end (default), or return once it has
                                started while it runs on in the background
                                (onboard, offboard, suspend, resume, update, send, replay, redrive,
                                dead-letters --redrive)
  --verbose                     print every state as it runs; without a terminal the default is
                                one line per outcome and per reply (the commands above, demo)
  --fail STATE                  fail that workflow state's task (e.g. --fail CreateTenantStacks)
  --fail STATE:timeout-after    run the state's handler, then fail the attempt as a Lambda timeout
  --fail STATE:throttled        refuse the state's invocations as Lambda throttling does
  --fail SERVICE:OPERATION      fail that AWS call (e.g. --fail CloudFormation:CreateStack);
  --fail SERVICE:OPERATION:KIND ...as throttling, a 5xx (server) or a client error (the default);
  --fail ...[@TENANT_ID]        ...only in the executions working for that tenant;
                                repeatable; demo, onboard, offboard, send, replay, redrive,
                                rollout
  --json                        machine-readable output on stdout, nothing else
                                (listings, onboard, offboard, send, replay, redrive,
                                dead-letters; through npm, use \`npm -s start -- ...\` so npm's
                                banner stays off stdout)
  --aws [--stack NAME] [--region REGION]
                                act on a deployed orchestrator instead: tenants, executions,
                                fleet, history, pin, unpin, dead-letters, onboard, offboard,
                                suspend, resume, send, replay, redrive, smoke, index-tenants.
                                Its stack's outputs name the registry, the workflows and the
                                queues (default stack TenantOrchestrator; credentials and
                                region from the environment, as for the AWS CLI). Work starts
                                through the admission code with StartExecution, spelled as the
                                stack's request rules accept it, never by putting a request on
                                the shared bus; replies go to the control plane and are not
                                shown. redrive uses Step Functions' RedriveExecution; replay
                                starts a new execution with the failed one's input; --fail is
                                local only
  -h, --help                    show this text

Exit codes:
  0  ok
  1  a workflow failed or the control plane received a failure reply; reconcile found a
     difference; smoke: a tier was not onboarded and offboarded
  2  usage or input error (bad arguments, missing file, invalid JSON, unknown execution,
     ambiguous tenant name), the state folder stayed in use by another command, or (--aws)
     no credentials, no region, no such stack or a stack output the command needs is missing
  3  internal error
`;
}
