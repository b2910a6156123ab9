import { describe, expect, it } from 'vitest';
import { parseCommandLine, parseFault, readsOnly, usageText } from '../../../cli/args.ts';
import { redactEmails } from '../../../cli/format.ts';
import { UsageError } from '../../../cli/exit-codes.ts';

function usageError(argv: string[]): string {
  try {
    parseCommandLine(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`expected a usage error for ${argv.join(' ')}`);
}

describe('parseCommandLine', () => {
  it('runs the demo without arguments, or with "demo"', () => {
    expect(parseCommandLine([])).toEqual({ kind: 'demo', faults: [], verbose: false });
    expect(parseCommandLine(['demo'])).toEqual({ kind: 'demo', faults: [], verbose: false });
  });

  it('takes --fail on the demo without naming the command', () => {
    expect(parseCommandLine(['--fail', 'CreateTenantStacks'])).toEqual({
      kind: 'demo',
      faults: [{ step: 'CreateTenantStacks' }],
      verbose: false,
    });
  });

  it('answers --help, -h and help anywhere with help', () => {
    expect(parseCommandLine(['--help'])).toEqual({ kind: 'help' });
    expect(parseCommandLine(['-h'])).toEqual({ kind: 'help' });
    expect(parseCommandLine(['help'])).toEqual({ kind: 'help' });
    expect(parseCommandLine(['onboard', '--help'])).toEqual({ kind: 'help' });
  });

  it('parses onboard with its defaults (wait, no json, no faults)', () => {
    expect(parseCommandLine(['onboard', '--tenant', 'acme', '--tier', 'premium'])).toEqual({
      kind: 'onboard',
      tenantName: 'acme',
      tier: 'premium',
      wait: true,
      json: false,
      faults: [],
      verbose: false,
    });
  });

  it('parses onboard with every option', () => {
    expect(
      parseCommandLine([
        'onboard',
        '--tenant=acme corp',
        '--tier',
        'platinum',
        '--id',
        'acme-1',
        '--no-wait',
        '--json',
        '--fail',
        'CloudFormation:CreateStack',
        '--fail',
        'ActivateTenant',
      ]),
    ).toEqual({
      kind: 'onboard',
      tenantName: 'acme corp',
      tier: 'platinum',
      tenantId: 'acme-1',
      wait: false,
      json: true,
      faults: [{ service: 'CloudFormation', operation: 'CreateStack' }, { step: 'ActivateTenant' }],
      verbose: false,
    });
  });

  it('accepts an explicit --wait', () => {
    expect(parseCommandLine(['offboard', '--tenant', 't-1', '--wait'])).toMatchObject({
      kind: 'offboard',
      tenant: 't-1',
      wait: true,
    });
  });

  it('parses suspend and resume like offboard', () => {
    expect(parseCommandLine(['suspend', '--tenant', 't-1', '--json'])).toEqual({
      kind: 'suspend',
      tenant: 't-1',
      wait: true,
      json: true,
      faults: [],
      verbose: false,
    });
    expect(parseCommandLine(['resume', '--tenant', 'acme', '--fail', 'VerifyTenantServices'])).toMatchObject({
      kind: 'resume',
      tenant: 'acme',
      faults: [{ step: 'VerifyTenantServices' }],
    });
  });

  it('parses update with --tier and/or --version, and the start options', () => {
    expect(parseCommandLine(['update', '--tenant', 't-1', '--version', '1.1.0', '--json', '--no-wait'])).toEqual({
      kind: 'update',
      tenant: 't-1',
      templateVersion: '1.1.0',
      wait: false,
      json: true,
      faults: [],
      verbose: false,
    });
    expect(parseCommandLine(['update', '--tenant', 'acme', '--tier', 'premium', '--version', '1.0.0'])).toMatchObject({
      kind: 'update',
      tenant: 'acme',
      tier: 'premium',
      templateVersion: '1.0.0',
    });
    expect(
      parseCommandLine(['update', '--tenant', 'acme', '--tier', 'basic', '--fail', 'UpdateTenantTemplate']),
    ).toMatchObject({ kind: 'update', tier: 'basic', faults: [{ step: 'UpdateTenantTemplate' }] });
  });

  it('refuses update without --tier or --version, and without --tenant (usage errors, exit 2)', () => {
    expect(usageError(['update', '--tenant', 't-1'])).toBe('update needs --tier T and/or --version V (what to change)');
    expect(usageError(['update', '--version', '1.1.0'])).toBe('update needs --tenant ID');
    expect(usageError(['offboard', '--tenant', 't-1', '--version', '1.1.0'])).toBe('offboard does not take --version');
  });

  it('parses offboard, send, replay and history', () => {
    expect(parseCommandLine(['offboard', '--tenant', 't-1', '--no-wait'])).toEqual({
      kind: 'offboard',
      tenant: 't-1',
      wait: false,
      json: false,
      faults: [],
      verbose: false,
    });
    expect(parseCommandLine(['send', 'events/samples/onboarding-basic.json', '--fail', 'PlanTenantResources'])).toEqual(
      {
        kind: 'send',
        file: 'events/samples/onboarding-basic.json',
        wait: true,
        json: false,
        faults: [{ step: 'PlanTenantResources' }],
        verbose: false,
      },
    );
    expect(parseCommandLine(['replay', 'onboarding-1', '--json'])).toEqual({
      kind: 'replay',
      execution: 'onboarding-1',
      wait: true,
      json: true,
      faults: [],
      verbose: false,
    });
    expect(parseCommandLine(['history', 'onboarding-1'])).toEqual({
      kind: 'history',
      execution: 'onboarding-1',
      json: false,
    });
  });

  it.each(['tenants', 'executions', 'resources'] as const)('parses the listing %s with and without --json', (kind) => {
    expect(parseCommandLine([kind])).toEqual({ kind, json: false });
    expect(parseCommandLine([kind, '--json'])).toEqual({ kind, json: true });
    expect(parseCommandLine(['--json', kind])).toEqual({ kind, json: true });
  });

  it('parses replies with --json and --raw; --raw alone is a usage error', () => {
    expect(parseCommandLine(['replies'])).toEqual({ kind: 'replies', json: false, raw: false });
    expect(parseCommandLine(['replies', '--json', '--raw'])).toEqual({ kind: 'replies', json: true, raw: true });
    expect(usageError(['replies', '--raw'])).toMatch(/--raw .* replies --json --raw/);
    expect(usageError(['tenants', '--json', '--raw'])).toBe('tenants does not take --raw');
  });

  it('parses --verbose on the commands that start workflows and on the demo, nowhere else', () => {
    expect(parseCommandLine(['onboard', '--tenant', 'a', '--tier', 'basic', '--verbose'])).toMatchObject({
      verbose: true,
    });
    expect(parseCommandLine(['--verbose'])).toEqual({ kind: 'demo', faults: [], verbose: true });
    expect(parseCommandLine(['dead-letters', '--redrive', '--verbose'])).toMatchObject({ verbose: true });
    expect(usageError(['tenants', '--verbose'])).toBe('tenants does not take --verbose');
  });

  it('hands dead-letters --redrive --aws and every other argument to the AWS tool', () => {
    expect(parseCommandLine(['dead-letters', '--redrive', '--aws', '--stack', 'S', '--dry-run'])).toEqual({
      kind: 'dead-letters-aws',
      argv: ['--stack', 'S', '--dry-run'],
    });
    expect(parseCommandLine(['dead-letters', '--aws', '--help', '--redrive'])).toEqual({
      kind: 'dead-letters-aws',
      argv: ['--help'],
    });
    expect(usageError(['dead-letters', '--stack', 'S'])).toMatch(
      /--stack and --region choose a deployed stack: add --aws/,
    );
    expect(usageError(['replies', '--aws'])).toMatch(/replies does not take --aws/);
    expect(usageError(['reset', '--aws'])).toMatch(/reset does not take --aws/);
  });

  it('reads tenants, executions and history from a deployed stack with --aws (default stack TenantOrchestrator)', () => {
    expect(parseCommandLine(['tenants', '--aws'])).toEqual({
      kind: 'tenants',
      json: false,
      aws: { stack: 'TenantOrchestrator' },
    });
    expect(
      parseCommandLine(['executions', '--aws', '--stack', 'Orch-Prod', '--region', 'eu-west-1', '--json']),
    ).toEqual({
      kind: 'executions',
      json: true,
      aws: { stack: 'Orch-Prod', region: 'eu-west-1' },
    });
    expect(parseCommandLine(['history', 'run-7', '--aws'])).toEqual({
      kind: 'history',
      execution: 'run-7',
      json: false,
      aws: { stack: 'TenantOrchestrator' },
    });
    expect(parseCommandLine(['tenants'])).toEqual({ kind: 'tenants', json: false });
  });

  it('refuses --stack or --region without --aws, and malformed ones', () => {
    expect(usageError(['tenants', '--stack', 'S'])).toMatch(/--stack and --region choose a deployed stack: add --aws/);
    expect(usageError(['executions', '--region', 'eu-west-1'])).toMatch(/add --aws/);
    expect(usageError(['tenants', '--aws', '--stack', 'no spaces'])).toMatch(
      /--stack needs a CloudFormation stack name/,
    );
    expect(usageError(['tenants', '--aws', '--region', 'Europe'])).toMatch(
      /--region needs an AWS Region such as us-east-1/,
    );
  });

  it('tells the commands that only read the state from those that change it', () => {
    const reading = [['tenants'], ['executions'], ['replies'], ['resources'], ['history', 'x'], ['dead-letters']];
    for (const argv of reading) expect(readsOnly(parseCommandLine(argv)), argv.join(' ')).toBe(true);
    const changing = [[], ['onboard', '--tenant', 'a', '--tier', 'b'], ['offboard', '--tenant', 'a'], ['reset']];
    for (const argv of [...changing, ['dead-letters', '--redrive'], ['replay', 'x'], ['redrive', 'x']]) {
      expect(readsOnly(parseCommandLine(argv)), argv.join(' ')).toBe(false);
    }
  });

  it('parses reset', () => {
    expect(parseCommandLine(['reset'])).toEqual({ kind: 'reset' });
  });

  it("does not judge values: an unknown tier is the workflow's to answer", () => {
    expect(parseCommandLine(['onboard', '--tenant', 'hooli', '--tier', 'platinum'])).toMatchObject({
      tier: 'platinum',
    });
  });

  it.each([
    [['bogus'], 'unknown command "bogus"'],
    [['tenants', '--bogus'], "Unknown option '--bogus'"],
    [['onboard', '--tenant'], "'--tenant <value>' argument missing"],
    [['onboard', '--tier', 'basic'], 'onboard needs --tenant NAME'],
    [['onboard', '--tenant', 'acme'], 'onboard needs --tier TIER'],
    [['offboard'], 'offboard needs --tenant ID'],
    [['offboard', '--tenant', 't', '--tier', 'basic'], 'offboard does not take --tier'],
    [['send'], 'send needs exactly one FILE.json'],
    [['send', 'a.json', 'b.json'], 'send needs exactly one FILE.json'],
    [['replay'], 'replay needs exactly one EXECUTION'],
    [['history'], 'history needs exactly one EXECUTION'],
    [['tenants', 'extra'], 'tenants takes no argument, got "extra"'],
    [['reset', '--json'], 'reset does not take --json'],
    [['demo', '--json'], 'demo does not take --json'],
    [['history', 'x', '--fail', 'ActivateTenant'], 'history does not take --fail'],
    [['onboard', '--tenant', 'a', '--tier', 'b', '--wait', '--no-wait'], '--wait and --no-wait contradict each other'],
    [['send', 'a.json', '--fail', 'not a state'], '--fail expects a state name'],
  ])('rejects %j', (argv, message) => {
    expect(usageError(argv)).toContain(message);
  });

  it('does not take a flag as the value of --tenant', () => {
    expect(usageError(['onboard', '--tenant', '--tier', 'basic'])).toContain('--tenant');
  });
});

describe('parseFault', () => {
  it('reads a state name and a Service:Operation pair', () => {
    expect(parseFault('CreateTenantStacks')).toEqual({ step: 'CreateTenantStacks' });
    expect(parseFault('CloudFormation:CreateStack')).toEqual({ service: 'CloudFormation', operation: 'CreateStack' });
  });

  it('reads throttled steps and faults scoped to one tenant', () => {
    expect(parseFault('CheckTenantStacks:throttled')).toEqual({ step: 'CheckTenantStacks', kind: 'throttled' });
    expect(parseFault('CloudFormation:UpdateStack:server@t-42')).toEqual({
      service: 'CloudFormation',
      operation: 'UpdateStack',
      kind: 'server',
      tenantId: 't-42',
    });
    expect(parseFault('CreateTenantStacks@acme')).toEqual({ step: 'CreateTenantStacks', tenantId: 'acme' });
    expect(() => parseFault('CreateTenantStacks@')).toThrow(/needs a tenant id/);
    expect(() => parseFault('CreateTenantStacks@a@b')).toThrow(/needs a tenant id/);
    expect(() => parseFault(`X@${'a'.repeat(300)}`)).toThrow(/longer than 200/);
  });

  it.each(['', 'Create-Stacks', 'CloudFormation:', ':CreateStack', 'A:B:C', 'CloudFormation CreateStack'])(
    'rejects %j',
    (text) => {
      expect(() => parseFault(text)).toThrow(UsageError);
    },
  );
});

describe('usageText', () => {
  it('says nothing the e-mail redaction of the output would hide', () => {
    expect(redactEmails(usageText('npm -s start --'))).toBe(usageText('npm -s start --'));
  });

  it('names the program, every command and the exit codes', () => {
    const text = usageText('npm -s start --');
    expect(text).toContain('Usage: npm -s start -- [COMMAND]');
    for (const command of [
      'onboard',
      'offboard',
      'send',
      'replay',
      'tenants',
      'executions',
      'replies',
      'history',
      'resources',
      'reset',
    ]) {
      expect(text).toContain(`  ${command}`);
    }
    expect(text).toMatch(/0 {2}ok/);
    expect(text).toMatch(/1 {2}a workflow failed/);
    expect(text).toMatch(/2 {2}usage or input error/);
    expect(text).toMatch(/3 {2}internal error/);
  });

  it('names smoke and every command --aws acts on', () => {
    const text = usageText('npm -s start --');
    expect(text).toContain('  smoke --aws [--tier TIER]');
    const aws = text.slice(text.indexOf('  --aws [--stack NAME]'), text.indexOf('  -h, --help'));
    for (const command of [
      'onboard',
      'offboard',
      'suspend',
      'resume',
      'send',
      'replay',
      'redrive',
      'dead-letters',
      'smoke',
      'index-tenants',
    ])
      expect(aws).toContain(command);
  });
});

describe('index-tenants', () => {
  it('acts on a deployed stack only: the local runtime lists its records on its own', () => {
    expect(parseCommandLine(['index-tenants', '--aws', '--stack', 'Orchestrator'])).toEqual({
      kind: 'index-tenants',
      aws: { stack: 'Orchestrator' },
    });
    expect(() => parseCommandLine(['index-tenants'])).toThrow(/add --aws/);
  });
});
