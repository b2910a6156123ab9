/**
 * Comparing the two runs of a scenario: both results are normalised (target-specific ids and
 * ARNs become placeholders, generated ids and times become their kind), then diffed path by path.
 * Pure, so it can be unit-tested without either target.
 */
import type { KnownDeviation } from './deviations.ts';

const patterns: readonly [RegExp, string][] = [
  [/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})\b/g, '<time>'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>'],
  [/\b(vpc|subnet|sg)-[0-9a-f]{8,17}\b/g, '<$1-id>'],
  [/\b[0-9a-f]{16,}\b/g, '<hex>'],
];

/** Replaces the target's own values (longest first) and generated ids and times in every string. */
export function normalise(value: unknown, aliases: Readonly<Record<string, string>>): unknown {
  const ordered = Object.entries(aliases)
    .filter(([from]) => from !== '')
    .sort(([a], [b]) => b.length - a.length);
  const text = (input: string): string => {
    let output = input;
    for (const [from, to] of ordered) output = output.split(from).join(to);
    for (const [pattern, replacement] of patterns) output = output.replace(pattern, replacement);
    return output;
  };
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') return text(node);
    if (Array.isArray(node)) return node.map(walk);
    if (typeof node === 'object' && node !== null) {
      return Object.fromEntries(Object.entries(node).map(([key, child]) => [text(key), walk(child)]));
    }
    return node;
  };
  return walk(value);
}

/** One difference: where, and the two values there (undefined: absent on that side). */
export interface Difference {
  readonly path: string;
  readonly local: unknown;
  readonly moto: unknown;
}

/** Paths at which the two values differ (`a.b[2].c`; `` for the root). */
export function differences(local: unknown, moto: unknown, path = ''): Difference[] {
  if (JSON.stringify(local) === JSON.stringify(moto)) return [];
  const bothArrays = Array.isArray(local) && Array.isArray(moto);
  const bothObjects =
    typeof local === 'object' &&
    local !== null &&
    typeof moto === 'object' &&
    moto !== null &&
    !Array.isArray(local) &&
    !Array.isArray(moto);
  if (bothArrays) {
    const left = local as unknown[];
    const right = moto as unknown[];
    if (left.length !== right.length) return [{ path, local, moto }];
    return left.flatMap((item, index) => differences(item, right[index], `${path}[${index}]`));
  }
  if (bothObjects) {
    const left = local as Record<string, unknown>;
    const right = moto as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])].sort();
    return keys.flatMap((key) => differences(left[key], right[key], path === '' ? key : `${path}.${key}`));
  }
  return [{ path, local, moto }];
}

/** The value at a path made by {@link differences}. */
export function valueAt(root: unknown, path: string): unknown {
  if (path === '') return root;
  let node: unknown = root;
  for (const part of path.match(/[^.[\]]+/g) ?? []) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** True when `path` is `prefix` or lies under it. */
function covers(prefix: string, path: string): boolean {
  return prefix === '' || path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}

export type Verdict =
  | { readonly kind: 'agree'; readonly unusedDeviations: readonly KnownDeviation[] }
  | { readonly kind: 'known-deviation'; readonly deviations: readonly KnownDeviation[] }
  | { readonly kind: 'disagree'; readonly reasons: readonly string[] };

/**
 * Agree: no difference. Known deviation: every difference lies under a path the deviation list
 * names for this scenario, and at each such path the local result is what AWS does (when the entry
 * says). Disagree: anything else, including a local result that differs from AWS's documented one.
 */
export function judge(scenario: string, local: unknown, moto: unknown, deviations: readonly KnownDeviation[]): Verdict {
  const own = deviations.filter((deviation) => deviation.scenario === scenario);
  const found = differences(local, moto);
  if (found.length === 0) return { kind: 'agree', unusedDeviations: own };
  const reasons: string[] = [];
  const used = new Set<KnownDeviation>();
  for (const difference of found) {
    const deviation = own.find((candidate) => candidate.paths.some((prefix) => covers(prefix, difference.path)));
    if (deviation === undefined) {
      reasons.push(
        `${difference.path || '(result)'}: local ${JSON.stringify(difference.local)} vs moto ${JSON.stringify(difference.moto)}`,
      );
      continue;
    }
    used.add(deviation);
  }
  for (const deviation of used) {
    if (!('aws' in deviation)) continue;
    for (const [path, expected] of Object.entries(deviation.aws ?? {})) {
      const actual = valueAt(local, path);
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        reasons.push(
          `${path}: local ${JSON.stringify(actual)} but AWS does ${JSON.stringify(expected)} (${deviation.source})`,
        );
      }
    }
  }
  if (reasons.length > 0) return { kind: 'disagree', reasons };
  return { kind: 'known-deviation', deviations: [...used] };
}
