/**
 * A small EventBridge event-pattern matcher for the local bus: the subset the orchestrator's
 * rules use (exact values listed in arrays, nested objects, and the `prefix` content filter on
 * string values, case-sensitive), with EventBridge's semantics for it. Other content filters
 * (`numeric`, `anything-but`, `exists`...) are refused loudly rather than matched wrongly.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-prefix-matching
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 */

/** An EventBridge pattern: every leaf is an array of allowed values; objects nest. */
export type EventPattern = { readonly [field: string]: readonly unknown[] | EventPattern };

/**
 * True when `event` matches `pattern`, as EventBridge decides it: every field the pattern names
 * must be present and hold one of the listed values (for an array in the event, any element
 * will do); values compare exactly (`"5"` is not `5`); fields the pattern does not name are ignored.
 *
 * @throws Error when the pattern uses a content filter this matcher does not implement.
 */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  if (!isPlainObject(event)) return false;
  for (const [field, expected] of Object.entries(pattern)) {
    if (!Object.hasOwn(event, field)) return false;
    const actual = event[field];
    if (Array.isArray(expected)) {
      if (!matchesValues(field, expected, actual)) return false;
    } else if (isPlainObject(expected)) {
      if (!matchesPattern(expected as EventPattern, actual)) return false;
    } else {
      throw new Error(`Event pattern field "${field}" must be an array of values or a nested object`);
    }
  }
  return true;
}

/** A `prefix` content filter: matches a string value that starts with it (case-sensitive). */
function prefixOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  const prefix = (value as { prefix?: unknown }).prefix;
  return keys.length === 1 && typeof prefix === 'string' ? prefix : undefined;
}

function matchesValues(field: string, allowed: readonly unknown[], actual: unknown): boolean {
  for (const value of allowed) {
    if (prefixOf(value) !== undefined) continue;
    if (typeof value === 'object' && value !== null) {
      throw new Error(
        `Event pattern field "${field}" uses a content filter (${JSON.stringify(value)}), which the local bus does not implement`,
      );
    }
  }
  // An array in the event matches when any of its elements is allowed.
  const candidates = Array.isArray(actual) ? actual : [actual];
  return candidates.some((candidate) =>
    allowed.some((value) => {
      const prefix = prefixOf(value);
      if (prefix !== undefined) return typeof candidate === 'string' && candidate.startsWith(prefix);
      return value === candidate;
    }),
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
