import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../../cli/args.ts';
import { createOutput, type CliContext } from '../../../cli/context.ts';
import { InputError } from '../../../cli/exit-codes.ts';
import { planFleetRollout, runFleetRollout } from '../../../cli/rollout.ts';
import type { RolloutInput } from '../../../functions/rollout/progress.ts';
import type { TenantRecord } from '../../../functions/shared/registry/tenants.ts';
import type { LocalRuntime } from '../../../local/runtime/api.ts';

function silo(index: number, fields: Partial<TenantRecord> = {}, version = '1.0.0'): TenantRecord {
  const createdAt = `2026-12-01T10:00:${String(index).padStart(2, '0')}Z`;
  return {
    tenantId: `s-${index}`,
    tenantName: `Silo ${index}`,
    status: 'ACTIVE',
    completed: {},
    plan: { tier: 'advanced', isolationModel: 'silo-services', templateVersion: version, stacks: [] },
    version: 1,
    createdAt,
    updatedAt: createdAt,
    ...fields,
  };
}

const records = [
  ...Array.from({ length: 12 }, (_, index) => silo(index + 10)),
  silo(1, { pinned: true }),
  silo(2, { status: 'SUSPENDED' }),
  silo(3, {}, '1.1.0'),
  // A tier change in flight (kept on the record until it finishes): listed as skipped, never updated.
  silo(4, {
    status: 'UPDATING',
    tierChange: {
      executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:tenant-update:tc',
      phase: 'building',
      from: {
        tier: 'advanced',
        isolationModel: 'silo-services',
        stacks: [],
        route: { listenerArn: 'l', priority: 4 },
      },
      to: { tier: 'premium', isolationModel: 'silo-cluster', stacks: [], stackSpecs: [] },
      staging: { listenerArn: 'l', priority: 5, value: 'v' },
      startedAt: '2026-12-01T10:00:04Z',
    },
  }),
];

function context(): { context: CliContext; stdout: () => string } {
  const chunks: string[] = [];
  const output = createOutput({ write: (text: string) => chunks.push(text) }, { write: () => 0 }, { NO_COLOR: '1' });
  const runtime = { tenants: async () => records } as unknown as LocalRuntime;
  return {
    context: { runtime, output, tenantNames: new Map(), program: 'x' } as unknown as CliContext,
    stdout: () => chunks.join(''),
  };
}

async function dryRun(argv: string): Promise<{ code: number; text: string }> {
  const command = parseCommandLine(argv.split(' '));
  if (command.kind !== 'rollout') throw new Error('not a rollout');
  const { context: cli, stdout } = context();
  const code = await planFleetRollout(cli, command.request, command.json);
  return { code, text: stdout() };
}

describe('rollout --dry-run', () => {
  it('prints the waves, the skipped tenants and those already on the version', async () => {
    const { code, text } = await dryRun('rollout --model silo-services --version 1.1.0 --dry-run --bake 60');

    expect(code).toBe(0);
    expect(text).toContain('rollout of silo-services@1.1.0 (dry run): 12 tenants in 3 waves, 5 at a time, 60 s bake');
    expect(text).toMatch(/wave 1: 1 tenant; halts and rolls back when more than 0 fail\n {2}s-10 \(Silo 10\)\n/);
    expect(text).toContain('wave 2: 1 tenant;');
    expect(text).toContain('wave 3: 10 tenants;');
    expect(text).toMatch(
      /skipped: 3 tenants\n {2}s-1 \(Silo 1\) {2}pinned\n {2}s-2 \(Silo 2\) {2}suspended\n {2}s-4 \(Silo 4\) {2}tier-change\n/,
    );
    expect(text).toContain('already on 1.1.0, left alone: s-3 (Silo 3)');
  });

  it('prints the plan as JSON', async () => {
    const { text } = await dryRun(
      'rollout --model silo-services --version 1.1.0 --dry-run --json --waves 50% --max-failures 20% --concurrency 2',
    );
    const plan = JSON.parse(text);

    expect(plan).toMatchObject({ dryRun: true, model: 'silo-services', version: '1.1.0', concurrency: 2 });
    expect(plan.maxFailures).toBe('20%');
    expect(plan.waves.map((wave: { tenantIds: string[] }) => wave.tenantIds.length)).toEqual([6, 6]);
    expect(plan.waves[0].toleratedFailures).toBe(1);
    expect(plan.alreadyOnTarget).toEqual(['s-3']);
    expect(plan.skipped).toContainEqual({ tenantId: 's-4', reason: 'tier-change' });
  });

  it('refuses pool, an unshipped version, a bad wave list and unknown tenants with one clear line', async () => {
    await expect(dryRun('rollout --model pool --version 1.0.0 --dry-run')).rejects.toThrow(
      /pool tenants run the shared/,
    );
    await expect(dryRun('rollout --model silo-services --version 9.0.0 --dry-run')).rejects.toThrow(
      /9\.0\.0 is not a shipped silo-services version; shipped: 1\.0\.0, 1\.1\.0/,
    );
    await expect(dryRun('rollout --model silo-services --version 1.1.0 --dry-run --waves 1,x')).rejects.toThrow(
      InputError,
    );
    await expect(dryRun('rollout --model silo-services --version 1.1.0 --dry-run --tenants s-10,zz')).rejects.toThrow(
      /not live silo-services tenants: zz/,
    );
    await expect(dryRun('rollout --model silo-services --version 1.1.0 --dry-run --concurrency 2x')).rejects.toThrow(
      /--concurrency takes a whole number/,
    );
  });

  it('is a usage error without --model; without --dry-run it is the rollout itself', () => {
    expect(parseCommandLine(['rollout', '--model', 'silo-services', '--version', '1.1.0'])).toMatchObject({
      kind: 'rollout',
      dryRun: false,
    });
    expect(() => parseCommandLine(['rollout', '--version', '1.1.0', '--dry-run'])).toThrow(/needs --model/);
  });
});

describe('rollout', () => {
  const started: RolloutInput[] = [];
  function running(output: unknown, status = 'SUCCEEDED') {
    const { context: cli, stdout } = context();
    const runtime = {
      ...cli.runtime,
      tenants: async () => records,
      startRollout: async (input: RolloutInput) => {
        started.push(input);
        return { executionArn: `arn:${input.rolloutId}`, status };
      },
      executionOutput: () => output,
    };
    return {
      cli: {
        ...cli,
        runtime,
        newId: () => 'abc-123-def',
        progress: { section: (work: () => unknown) => work() },
      } as unknown as CliContext,
      stdout,
    };
  }
  const run = async (argv: string, output: unknown, status?: string) => {
    const command = parseCommandLine(argv.split(' '));
    if (command.kind !== 'rollout') throw new Error('not a rollout');
    const { cli, stdout } = running(output, status);
    const code = await runFleetRollout(cli, command.request, command.json);
    return { code, text: stdout() };
  };

  it('starts the workflow with the options and the alarms, and exits 0 when it completed', async () => {
    const { code, text } = await run(
      'rollout --model silo-services --version 1.1.0 --waves 1,100% --alarms a,b --bake 0 --json',
      {
        outcome: 'completed',
        results: [{ wave: 1, outcome: 'completed', updated: 1, unchanged: 0, skipped: 0, failed: 0 }],
      },
    );

    expect(code).toBe(0);
    expect(started.at(-1)).toMatchObject({
      rolloutId: 'rollout-abc123def',
      model: 'silo-services',
      version: '1.1.0',
      waves: [{ count: 1 }, { percent: 100 }],
      alarmNames: ['a', 'b'],
      bakeSeconds: 0,
    });
    expect(JSON.parse(text)).toMatchObject({ outcome: 'completed', waves: [{ wave: 1, updated: 1 }] });
  });

  it('exits 1 when the rollout halted, and when its execution failed', async () => {
    const halted = await run('rollout --model silo-services --version 1.1.0', {
      outcome: 'halted',
      results: [
        { wave: 1, outcome: 'halted', reason: 'gate', updated: 1, unchanged: 0, skipped: 0, failed: 0, rolledBack: 1 },
      ],
    });
    expect(halted.code).toBe(1);
    expect(halted.text).toContain('wave 1: halted (health gate failed)');
    expect(halted.text).toContain('1 rolled back');

    const failed = await run('rollout --model silo-services --version 1.1.0 --json', undefined, 'FAILED');
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.text)).toMatchObject({ outcome: 'failed' });
  });

  it('refuses more alarm names than the gate reads', async () => {
    const many = Array.from({ length: 101 }, (_, index) => `a${index}`).join(',');
    await expect(run(`rollout --model silo-services --version 1.1.0 --alarms ${many}`, undefined)).rejects.toThrow(
      InputError,
    );
  });
});
