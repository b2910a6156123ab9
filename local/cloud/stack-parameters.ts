/**
 * CreateStack's parameter checks against a template's declared Parameters: undeclared names,
 * missing values, and each declaration's Type, AllowedValues, AllowedPattern, MinLength/MaxLength
 * and MinValue/MaxValue, with CloudFormation's ValidationError messages.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html
 */
import { cloudFormationValidationError } from './aws-shapes.ts';
import type { ParameterValue } from './template-evaluator.ts';

/** A parameter as a template declares it. */
export interface ParameterDeclaration {
  readonly Type: string;
  readonly Default?: string | number;
  readonly AllowedValues?: readonly (string | number)[];
  readonly AllowedPattern?: string;
  readonly MinLength?: number | string;
  readonly MaxLength?: number | string;
  readonly MinValue?: number | string;
  readonly MaxValue?: number | string;
}

function isListType(type: string): boolean {
  return type === 'CommaDelimitedList' || type.startsWith('List<');
}

function isNumberType(type: string): boolean {
  return type === 'Number' || type === 'List<Number>';
}

function checkNumber(name: string, declaration: ParameterDeclaration, raw: string): void {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value))
    throw cloudFormationValidationError(`Parameter '${name}' must be a number.`);
  if (declaration.MinValue !== undefined && value < Number(declaration.MinValue)) {
    throw cloudFormationValidationError(`Parameter '${name}' must be a number not less than ${declaration.MinValue}`);
  }
  if (declaration.MaxValue !== undefined && value > Number(declaration.MaxValue)) {
    throw cloudFormationValidationError(
      `Parameter '${name}' must be a number not greater than ${declaration.MaxValue}`,
    );
  }
}

function checkString(name: string, declaration: ParameterDeclaration, value: string): void {
  if (declaration.MinLength !== undefined && value.length < Number(declaration.MinLength)) {
    throw cloudFormationValidationError(
      `Parameter '${name}' must contain at least ${declaration.MinLength} characters`,
    );
  }
  if (declaration.MaxLength !== undefined && value.length > Number(declaration.MaxLength)) {
    throw cloudFormationValidationError(`Parameter '${name}' must contain at most ${declaration.MaxLength} characters`);
  }
  // CloudFormation matches AllowedPattern against the whole value.
  if (declaration.AllowedPattern !== undefined && !new RegExp(`^(?:${declaration.AllowedPattern})$`).test(value)) {
    throw cloudFormationValidationError(`Parameter '${name}' must match pattern ${declaration.AllowedPattern}`);
  }
}

/** Checks one value (each element of a list) against its declaration. */
function checkValue(name: string, declaration: ParameterDeclaration, value: string): void {
  const type = declaration.Type;
  if (type.startsWith('AWS::SSM::Parameter::')) {
    throw new Error(`The local cloud does not model SSM parameter types (parameter ${name}: ${type})`);
  }
  // Values of AWS-specific types (AWS::EC2::VPC::Id, ...) are not looked up in an account.
  const elements = isListType(type) ? value.split(',') : [value];
  for (const element of elements) {
    if (isNumberType(type)) checkNumber(name, declaration, element);
    else checkString(name, declaration, element);
    if (declaration.AllowedValues !== undefined && !declaration.AllowedValues.map(String).includes(element)) {
      throw cloudFormationValidationError(`Parameter '${name}' must be one of AllowedValues`);
    }
  }
}

/**
 * The value of every declared parameter (given, else its Default), lists split on commas.
 * Throws CloudFormation's ValidationError for undeclared names ("Parameters: [X] do not exist in
 * the template"), missing values ("Parameters: [X] must have values") and the first constraint a
 * value breaks.
 */
export function resolveParameters(
  declarations: Readonly<Record<string, ParameterDeclaration>>,
  given: Readonly<Record<string, string>>,
): Record<string, ParameterValue> {
  const undeclared = Object.keys(given).filter((name) => !Object.hasOwn(declarations, name));
  if (undeclared.length > 0)
    throw cloudFormationValidationError(`Parameters: [${undeclared.join(', ')}] do not exist in the template`);
  const missing = Object.keys(declarations).filter(
    (name) => given[name] === undefined && declarations[name]?.Default === undefined,
  );
  if (missing.length > 0) throw cloudFormationValidationError(`Parameters: [${missing.join(', ')}] must have values`);
  const values: Record<string, ParameterValue> = {};
  for (const [name, declaration] of Object.entries(declarations)) {
    const value = given[name] ?? String(declaration.Default);
    checkValue(name, declaration, value);
    values[name] = isListType(declaration.Type) ? value.split(',') : value;
  }
  return values;
}
