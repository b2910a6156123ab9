/**
 * The checks CloudFormation makes on a CreateStack request before it starts anything, and the
 * shape of the messages resource handlers write into failure events.
 */
import { randomUUID } from 'node:crypto';
import {
  InsufficientCapabilitiesException,
  TokenAlreadyExistsException,
  type Capability,
  type CreateStackCommandInput,
  type Parameter,
  type Tag,
  type UpdateStackCommandInput,
} from '@aws-sdk/client-cloudformation';
import { cloudFormationValidationError, errorMetadata } from './aws-shapes.ts';
import type { StackConfiguration, StackRecord } from './stack-records.ts';
import type { TemplateModel, TenantStackModel } from './template-model.ts';

const stackNamePattern = /^[a-zA-Z][-a-zA-Z0-9]{0,127}$/;

/**
 * Throws CloudFormation's ValidationError for a name it does not accept: letters, digits and
 * hyphens, starting with a letter, at most 128 characters.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html
 */
export function checkStackName(stackName: string): void {
  if (stackNamePattern.test(stackName)) return;
  throw cloudFormationValidationError(
    `1 validation error detected: Value '${stackName}' at 'stackName' failed to satisfy constraint: ` +
      'Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/._+]*',
  );
}

const maxTokenLength = 128;
const clientRequestTokenPattern = /^[a-zA-Z0-9][-a-zA-Z0-9]*$/;

/**
 * Checks a CreateStack, UpdateStack or DeleteStack ClientRequestToken before anything starts: its form (1 to 128
 * characters, `[a-zA-Z0-9][-a-zA-Z0-9]*`), and that no earlier operation on a stack of this name
 * used it. CloudFormation declares TokenAlreadyExistsException for CreateStack, UpdateStack and
 * DeleteStack, and remembers a stack's tokens across a delete and a re-create of the same name
 * (reported as "... has already been used for this stack").
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DeleteStack.html
 *
 * What an exact replay of the request that used the token returns is not documented (the API
 * reference only says the token lets CloudFormation know "you're not attempting to create a stack
 * with the same name"). This model is the strict reading: every reuse, the exact replay included,
 * is refused with TokenAlreadyExistsException, which tells the caller nothing about the stack's
 * state. A caller that copes with this copes with a lenient replay as well.
 */
export function checkClientRequestToken(
  token: string | undefined,
  stackName: string,
  stacks: readonly StackRecord[],
): void {
  if (token === undefined) return;
  if (token.length === 0 || token.length > maxTokenLength || !clientRequestTokenPattern.test(token)) {
    throw cloudFormationValidationError(
      `1 validation error detected: Value '${token.slice(0, maxTokenLength + 1)}' at 'clientRequestToken' failed to satisfy constraint: ` +
        `Member must satisfy regular expression pattern: [a-zA-Z0-9][-a-zA-Z0-9]* and length between 1 and ${maxTokenLength}`,
    );
  }
  const used = stacks.some(
    (stack) =>
      stack.stackName === stackName &&
      (stack.createToken === token || stack.timeline.some((entry) => entry.clientRequestToken === token)),
  );
  if (used) {
    const message = `ClientRequestToken ${token} has already been used for this stack`;
    throw new TokenAlreadyExistsException({ message, Message: message, $metadata: errorMetadata() });
  }
}

/** A CreateStack request CloudFormation accepted, with what the stack will create. */
export interface CheckedCreateRequest {
  readonly templateUrl: string;
  readonly model: TenantStackModel;
  readonly capabilities: Capability[];
}

/**
 * Checks the template, parameters and capabilities of a CreateStack request, throwing AWS's errors:
 * DisableRollback with OnFailure is refused, IAM resources need CAPABILITY_IAM (or
 * CAPABILITY_NAMED_IAM) acknowledged (InsufficientCapabilitiesException).
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html
 */
export function checkCreateRequest(input: CreateStackCommandInput, templateModel: TemplateModel): CheckedCreateRequest {
  if (input.TemplateBody !== undefined) throw new Error('The local cloud models TemplateURL only, not TemplateBody');
  if (input.TemplateURL === undefined)
    throw cloudFormationValidationError('Either Template URL or Template Body must be specified.');
  if (input.OnFailure !== undefined && input.DisableRollback !== undefined) {
    throw cloudFormationValidationError('You cannot specify both DisableRollback and OnFailure.');
  }
  const parameters: Record<string, string> = {};
  for (const parameter of input.Parameters ?? []) {
    if (parameter.ParameterKey !== undefined) parameters[parameter.ParameterKey] = parameter.ParameterValue ?? '';
  }
  const model = templateModel(input.StackName ?? '', input.TemplateURL, parameters);
  const capabilities = input.Capabilities ?? [];
  checkCapabilities(model, capabilities);
  return { templateUrl: input.TemplateURL, model, capabilities: [...capabilities] };
}

/** InsufficientCapabilitiesException when the template's IAM resources are not acknowledged. */
function checkCapabilities(model: TenantStackModel, capabilities: readonly Capability[]): void {
  const acknowledged = new Set<string>(capabilities);
  // CAPABILITY_NAMED_IAM acknowledges everything CAPABILITY_IAM does.
  if (acknowledged.has('CAPABILITY_NAMED_IAM')) acknowledged.add('CAPABILITY_IAM');
  const missing = model.requiredCapabilities.filter((capability) => !acknowledged.has(capability));
  if (missing.length > 0) {
    const message = `Requires capabilities : [${missing.join(', ')}]`;
    throw new InsufficientCapabilitiesException({ message, Message: message, $metadata: errorMetadata() });
  }
}

/**
 * The parameter list an update stores: given values as given, UsePreviousValue replaced by the
 * value the stack had (its given value, or the previous template's default). A UsePreviousValue
 * with a value, or for a parameter the previous template does not declare, is a ValidationError
 * (AWS's exact wording of these two is not documented).
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Parameter.html
 */
function updateParameters(given: readonly Parameter[], previous: StackConfiguration): Parameter[] {
  return given.map((parameter) => {
    const key = parameter.ParameterKey ?? '';
    if (parameter.UsePreviousValue !== true)
      return { ParameterKey: key, ParameterValue: parameter.ParameterValue ?? '' };
    if (parameter.ParameterValue !== undefined) {
      throw cloudFormationValidationError(
        `Invalid input for parameter key ${key}. Cannot specify usePreviousValue as true and non empty value for a parameter`,
      );
    }
    const value = previous.model.parameterValues[key];
    if (value === undefined) {
      throw cloudFormationValidationError(
        `Invalid input for parameter key ${key}. Cannot specify usePreviousValue as true for a parameter key not in the previous template`,
      );
    }
    return { ParameterKey: key, ParameterValue: value };
  });
}

function sameValues(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key]);
}

function tagText(tags: readonly Tag[]): string {
  return JSON.stringify(tags.map((tag) => [tag.Key, tag.Value]));
}

/**
 * Checks an UpdateStack request against the stack's current configuration and returns the new one,
 * throwing what AWS throws: exactly one of TemplateURL and UsePreviousTemplate (TemplateBody is
 * not modelled); a parameter not given takes the template's Default, not the previous value (that
 * takes UsePreviousValue: "If you don't specify a key and value for a particular parameter,
 * CloudFormation uses the default value that's specified in your template"); the new template's
 * parameter checks and capabilities; and "No updates are to be performed." when the template and
 * every parameter value are what the stack has. Changing the stack's tags or DisableRollback in an
 * update is not modelled (it throws).
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_UpdateStack.html
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_Parameter.html
 */
export function checkUpdateRequest(
  input: UpdateStackCommandInput,
  previous: StackConfiguration,
  stackTags: readonly Tag[],
  templateModel: TemplateModel,
  stackName: string,
): StackConfiguration {
  if (input.TemplateBody !== undefined) throw new Error('The local cloud models TemplateURL only, not TemplateBody');
  if (input.DisableRollback === true)
    throw new Error('The local cloud does not model UpdateStack with DisableRollback');
  if (input.Tags !== undefined && tagText(input.Tags) !== tagText(stackTags))
    throw new Error("The local cloud does not model changing a stack's tags with UpdateStack");
  const usePrevious = input.UsePreviousTemplate === true;
  if (usePrevious && input.TemplateURL !== undefined)
    throw cloudFormationValidationError('You cannot specify both usePreviousTemplate and Template Body/Template Url');
  const templateUrl = usePrevious ? previous.templateUrl : input.TemplateURL;
  if (templateUrl === undefined)
    throw cloudFormationValidationError('Either Template URL or Template Body must be specified.');
  const parameters = updateParameters(input.Parameters ?? [], previous);
  const values: Record<string, string> = {};
  for (const parameter of parameters) values[parameter.ParameterKey ?? ''] = parameter.ParameterValue ?? '';
  const model = templateModel(stackName, templateUrl, values);
  const capabilities = input.Capabilities ?? [];
  checkCapabilities(model, capabilities);
  if (templateUrl === previous.templateUrl && sameValues(model.parameterValues, previous.model.parameterValues))
    throw cloudFormationValidationError('No updates are to be performed.');
  return { templateUrl, parameters, capabilities: [...capabilities], model };
}

/** A resource failure reason the way CloudFormation's resource handlers word it. */
export function handlerMessage(message: string, service: string, code: string): string {
  return (
    `Resource handler returned message: "${message} (Service: ${service}, Status Code: 400, Request ID: ${randomUUID()})" ` +
    `(RequestToken: ${randomUUID()}, HandlerErrorCode: ${code})`
  );
}
