import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { differences, judge, normalise } from '../../differential/compare.ts';
import type { KnownDeviation } from '../../differential/deviations.ts';
import { knownDeviations } from '../../differential/deviations.ts';
import { scenarios } from '../../differential/scenarios/index.ts';

const deviation: KnownDeviation = {
  scenario: 'stacks',
  paths: ['statuses'],
  moto: 'completes at once',
  awsBehaviour: 'in progress first',
  source: 'https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html',
  aws: { statuses: ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE'] },
};

describe('normalise', () => {
  it('replaces the target values, then generated ids and times', () => {
    const value = {
      listener: 'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/tenants-1/abc/def',
      event: '3f2b8c1e-9d4a-4b7e-8f00-1234567890ab at 2026-12-05T08:00:00.123Z',
      rule: 'listener-rule/app/tenants-1/0123456789abcdef0123/fedcba9876543210',
      subnet: 'subnet-0a1b2c3d4e5f67890',
    };
    expect(
      normalise(value, {
        'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/tenants-1/abc/def': '<listener-1>',
      }),
    ).toEqual({
      listener: '<listener-1>',
      event: '<uuid> at <time>',
      rule: 'listener-rule/app/tenants-1/<hex>/<hex>',
      subnet: '<subnet-id>',
    });
  });
});

describe('differences', () => {
  it('names each differing path, and an array of another length as a whole', () => {
    expect(differences({ a: 1, b: [1, { c: 'x' }], d: [1] }, { a: 1, b: [1, { c: 'y' }], d: [1, 2], e: true })).toEqual(
      [
        { path: 'b[1].c', local: 'x', moto: 'y' },
        { path: 'd', local: [1], moto: [1, 2] },
        { path: 'e', local: undefined, moto: true },
      ],
    );
  });
});

describe('judge', () => {
  const local = { outcome: 'accepted', statuses: ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE'] };

  it('agrees when the normalised results are equal', () => {
    expect(judge('stacks', local, structuredClone(local), [deviation]).kind).toBe('agree');
  });

  it('is a known deviation when every difference is under a listed path and local shows what AWS does', () => {
    const verdict = judge('stacks', local, { outcome: 'accepted', statuses: ['CREATE_COMPLETE'] }, [deviation]);
    expect(verdict).toEqual({ kind: 'known-deviation', deviations: [deviation] });
  });

  it('disagrees on a difference no deviation of that scenario lists', () => {
    const verdict = judge('stacks', local, { outcome: 'already-exists', statuses: ['CREATE_COMPLETE'] }, [deviation]);
    expect(verdict.kind).toBe('disagree');
    expect(verdict.kind === 'disagree' && verdict.reasons).toEqual([
      'outcome: local "accepted" vs moto "already-exists"',
    ]);
    expect(judge('other', local, { ...local, statuses: [] }, [deviation]).kind).toBe('disagree');
  });

  it('disagrees when the local result at a listed path is not what AWS does', () => {
    const wrongLocal = { outcome: 'accepted', statuses: ['CREATE_FAILED'] };
    const verdict = judge('stacks', wrongLocal, { outcome: 'accepted', statuses: ['CREATE_COMPLETE'] }, [deviation]);
    expect(verdict.kind).toBe('disagree');
  });
});

describe('the deviation list', () => {
  it('names only scenarios that exist, each entry with an AWS documentation page', () => {
    const names = new Set(scenarios.map((scenario) => scenario.name));
    for (const entry of knownDeviations) {
      expect(names.has(entry.scenario), entry.scenario).toBe(true);
      expect(entry.source).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
    }
  });

  it('has at least 20 scenarios, covering every service the functions call', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(20);
    expect(new Set(scenarios.map((scenario) => scenario.service))).toEqual(
      new Set(['CloudFormation', 'ElasticLoadBalancingV2', 'ECS', 'DynamoDB', 'EventBridge', 'StepFunctions']),
    );
  });
});

describe('docs/local-runtime.md', () => {
  it("names every scenario in its table of moto's agreement", () => {
    const docs = readFileSync(new URL('../../../docs/local-runtime.md', import.meta.url), 'utf8');
    const table = docs.slice(docs.indexOf('## Second opinion'));
    const unnamed = scenarios.map((scenario) => scenario.name).filter((name) => !table.includes(`\`${name}\``));
    expect(unnamed).toEqual([]);
  });
});
