/**
 * Evaluates the CloudFormation intrinsic functions the tenant templates use, against a stack's
 * parameters, conditions and resources. Anything else throws a {@link TemplateEvaluationError}
 * naming the function, so a template change the local cloud cannot follow fails loudly instead of
 * producing a made-up stack.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference.html
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/pseudo-parameter-reference.html
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/conditions-section-structure.html
 */

/** What `{ "Ref": "AWS::NoValue" }` evaluates to: the property (or list element) is left out. */
export const noValue: unique symbol = Symbol('AWS::NoValue');

/** A template the local cloud cannot evaluate (an unsupported function, a bad argument, an unknown name). */
export class TemplateEvaluationError extends Error {
  override readonly name = 'TemplateEvaluationError';
}

/** A parameter's value: lists (`List<...>`, `CommaDelimitedList`) as arrays. */
export type ParameterValue = string | readonly string[];

/** The pseudo parameters of the stack being evaluated. */
export interface PseudoParameters {
  readonly stackName: string;
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
}

/** What names in a template resolve to. */
export interface EvaluationScope {
  readonly pseudo: PseudoParameters;
  /** A declared parameter's value; undefined when no parameter has that name. */
  parameter(name: string): ParameterValue | undefined;
  /** A declared condition's value (throws for an undeclared one). */
  condition(name: string): boolean;
  /** Ref to a resource: its physical id; undefined when no existing resource has that logical id. */
  resource(logicalId: string): string | undefined;
  /** Fn::GetAtt (throws for an attribute the local cloud does not model). */
  attribute(logicalId: string, attribute: string): string;
}

/** True for a one-key object that is an intrinsic function call. */
function intrinsicKey(value: object): string | undefined {
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const [key] = keys as [string];
  if (key === 'Ref' || key.startsWith('Fn::')) return key;
  // `Condition` is a function only inside condition functions, where its argument is a name.
  return key === 'Condition' && typeof (value as Record<string, unknown>)[key] === 'string' ? key : undefined;
}

function fail(path: string, message: string): never {
  throw new TemplateEvaluationError(`${path}: ${message}`);
}

function argumentList(name: string, argument: unknown, length: number, path: string): unknown[] {
  if (!Array.isArray(argument) || argument.length !== length) fail(path, `${name} takes a list of ${length} arguments`);
  return argument;
}

/** A scalar as CloudFormation turns it into a string (numbers and booleans appear unquoted). */
function text(value: unknown, path: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return fail(path, `expected a string, got ${JSON.stringify(value) ?? String(value)}`);
}

function list(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) fail(path, `expected a list, got ${JSON.stringify(value) ?? String(value)}`);
  return value;
}

function bool(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') fail(path, `expected a condition, got ${JSON.stringify(value) ?? String(value)}`);
  return value;
}

const pseudoParameters: Readonly<Record<string, (pseudo: PseudoParameters) => string>> = {
  'AWS::StackName': (pseudo) => pseudo.stackName,
  'AWS::Region': (pseudo) => pseudo.region,
  'AWS::AccountId': (pseudo) => pseudo.accountId,
  'AWS::Partition': (pseudo) => pseudo.partition,
  'AWS::URLSuffix': () => 'amazonaws.com',
};

function ref(name: unknown, scope: EvaluationScope, path: string): unknown {
  if (typeof name !== 'string') return fail(path, 'Ref takes a name');
  if (name === 'AWS::NoValue') return noValue;
  const pseudo = pseudoParameters[name];
  if (pseudo !== undefined) return pseudo(scope.pseudo);
  if (name.startsWith('AWS::')) return fail(path, `the pseudo parameter ${name} is not modelled by the local cloud`);
  const value = scope.parameter(name) ?? scope.resource(name);
  if (value === undefined)
    return fail(path, `Unresolved resource dependencies [${name}] in the Resources block of the template`);
  return value;
}

function getAtt(argument: unknown, scope: EvaluationScope, path: string): string {
  const [logicalId, attribute] =
    typeof argument === 'string' ? splitAtFirstDot(argument) : argumentList('Fn::GetAtt', argument, 2, path);
  if (typeof logicalId !== 'string' || typeof attribute !== 'string')
    return fail(path, 'Fn::GetAtt takes a logical id and an attribute name');
  if (scope.resource(logicalId) === undefined)
    return fail(path, `Fn::GetAtt names ${logicalId}, which is not an existing resource`);
  return scope.attribute(logicalId, attribute);
}

function splitAtFirstDot(value: string): [string, string] {
  const dot = value.indexOf('.');
  return dot === -1 ? [value, ''] : [value.slice(0, dot), value.slice(dot + 1)];
}

const subVariable = /\$\{([^}]*)\}/g;

function sub(argument: unknown, scope: EvaluationScope, path: string): string {
  const [template, variables] =
    typeof argument === 'string' ? [argument, {}] : argumentList('Fn::Sub', argument, 2, path);
  if (typeof template !== 'string' || variables === null || typeof variables !== 'object' || Array.isArray(variables)) {
    return fail(path, 'Fn::Sub takes a string, or a string and a map of variables');
  }
  return template.replace(subVariable, (_match, name: string) => {
    if (name.startsWith('!')) return `\${${name.slice(1)}}`;
    if (Object.hasOwn(variables, name))
      return text(evaluate((variables as Record<string, unknown>)[name], scope, `${path}.${name}`), path);
    if (name.includes('.')) return getAtt(name, scope, path);
    const value = ref(name, scope, path);
    return Array.isArray(value) ? value.join(',') : text(value, path);
  });
}

/** The functions {@link evaluate} calls. */
const supportedFunctions: ReadonlySet<string> = new Set([
  'Ref',
  'Condition',
  'Fn::GetAtt',
  'Fn::Sub',
  'Fn::Join',
  'Fn::Select',
  'Fn::Split',
  'Fn::If',
  'Fn::Equals',
  'Fn::And',
  'Fn::Or',
  'Fn::Not',
]);

/**
 * Throws naming the first intrinsic function anywhere in `value` (a whole template) that
 * {@link evaluate} does not support, even where the model never evaluates it: a template change
 * that needs more of the evaluator fails at once instead of only when some value is read.
 */
export function assertSupportedFunctions(value: unknown, path: string): void {
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) assertSupportedFunctions(item, `${path}[${index}]`);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const key = intrinsicKey(value);
  if (key !== undefined && !supportedFunctions.has(key)) {
    fail(`${path}.${key}`, `the intrinsic function ${key} is not supported by the local cloud's template evaluator`);
  }
  for (const [name, item] of Object.entries(value)) assertSupportedFunctions(item, `${path}.${name}`);
}

/** Calls one intrinsic function. */
function call(name: string, argument: unknown, scope: EvaluationScope, path: string): unknown {
  const at = `${path}.${name}`;
  switch (name) {
    case 'Ref':
      return ref(argument, scope, at);
    case 'Condition':
      return scope.condition(argument as string);
    case 'Fn::GetAtt':
      return getAtt(argument, scope, at);
    case 'Fn::Sub':
      return sub(argument, scope, at);
    case 'Fn::Join': {
      const [delimiter, values] = argumentList(name, argument, 2, at);
      const items = list(evaluate(values, scope, at), at).map((item) => text(item, at));
      return items.join(text(delimiter, at));
    }
    case 'Fn::Select': {
      const [index, values] = argumentList(name, argument, 2, at);
      const position = Number(text(evaluate(index, scope, at), at));
      const items = list(evaluate(values, scope, at), at);
      if (!Number.isInteger(position) || position < 0 || position >= items.length)
        fail(at, `Fn::Select index ${position} is out of bounds`);
      return items[position];
    }
    case 'Fn::Split': {
      const [delimiter, source] = argumentList(name, argument, 2, at);
      return text(evaluate(source, scope, at), at).split(text(delimiter, at));
    }
    case 'Fn::If': {
      const [condition, whenTrue, whenFalse] = argumentList(name, argument, 3, at);
      if (typeof condition !== 'string') return fail(at, 'Fn::If takes a condition name');
      return scope.condition(condition) ? evaluate(whenTrue, scope, at) : evaluate(whenFalse, scope, at);
    }
    case 'Fn::Equals': {
      const [left, right] = argumentList(name, argument, 2, at).map((value) => evaluate(value, scope, at));
      return (
        JSON.stringify(typeof left === 'number' ? String(left) : left) ===
        JSON.stringify(typeof right === 'number' ? String(right) : right)
      );
    }
    case 'Fn::And':
    case 'Fn::Or': {
      const values = list(argument, at).map((value) => bool(evaluate(value, scope, at), at));
      return name === 'Fn::And' ? values.every(Boolean) : values.some(Boolean);
    }
    case 'Fn::Not':
      return !bool(evaluate(argumentList(name, argument, 1, at)[0], scope, at), at);
    default:
      return fail(at, `the intrinsic function ${name} is not supported by the local cloud's template evaluator`);
  }
}

/**
 * Evaluates a template value: intrinsic functions are called, `AWS::NoValue` removes the
 * property or list element it stands for (a top-level one returns {@link noValue}).
 * `path` (e.g. `Resources.Cluster.Properties.ClusterName`) prefixes error messages.
 */
export function evaluate(value: unknown, scope: EvaluationScope, path: string): unknown {
  if (Array.isArray(value)) {
    return value.map((item, index) => evaluate(item, scope, `${path}[${index}]`)).filter((item) => item !== noValue);
  }
  if (value === null || typeof value !== 'object') return value;
  const key = intrinsicKey(value);
  if (key !== undefined) return call(key, (value as Record<string, unknown>)[key], scope, path);
  const result: Record<string, unknown> = {};
  for (const [name, item] of Object.entries(value)) {
    const evaluated = evaluate(item, scope, `${path}.${name}`);
    if (evaluated !== noValue) result[name] = evaluated;
  }
  return result;
}

/** Evaluates a condition expression (the Conditions section, Fn::If's names). */
export function evaluateCondition(expression: unknown, scope: EvaluationScope, path: string): boolean {
  return bool(evaluate(expression, scope, path), path);
}

/**
 * The names a value refers to without evaluating it: Ref targets, Fn::GetAtt logical ids and
 * Fn::Sub variables, in every branch (CloudFormation's dependencies are static too).
 */
export function referencedNames(value: unknown, names = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencedNames(item, names);
    return names;
  }
  if (value === null || typeof value !== 'object') return names;
  const record = value as Record<string, unknown>;
  const key = intrinsicKey(value);
  if (key === 'Ref' && typeof record.Ref === 'string') names.add(record.Ref);
  else if (key === 'Fn::GetAtt') {
    const argument = record[key];
    const logicalId =
      typeof argument === 'string' ? splitAtFirstDot(argument)[0] : Array.isArray(argument) ? argument[0] : undefined;
    if (typeof logicalId === 'string') names.add(logicalId);
  } else if (key === 'Fn::Sub') {
    const argument = record[key];
    const [template, variables] =
      typeof argument === 'string' ? [argument, {}] : Array.isArray(argument) ? argument : [undefined, {}];
    const own = new Set(variables !== null && typeof variables === 'object' ? Object.keys(variables) : []);
    for (const match of typeof template === 'string' ? template.matchAll(subVariable) : []) {
      const name = match[1] ?? '';
      if (!name.startsWith('!') && !own.has(name)) names.add(splitAtFirstDot(name)[0]);
    }
    referencedNames(variables, names);
  } else {
    for (const item of Object.values(record)) referencedNames(item, names);
  }
  return names;
}
