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
} from '@aws-sdk/client-cloudformation';
import { cloudFormationValidationError, errorMetadata } from './aws-shapes.ts';
import type { StackRecord } from './stack-records.ts';
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
 * Checks a CreateStack or DeleteStack ClientRequestToken before anything starts: its form (1 to 128
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
  const acknowledged = new Set<string>(capabilities);
  // CAPABILITY_NAMED_IAM acknowledges everything CAPABILITY_IAM does.
  if (acknowledged.has('CAPABILITY_NAMED_IAM')) acknowledged.add('CAPABILITY_IAM');
  const missing = model.requiredCapabilities.filter((capability) => !acknowledged.has(capability));
  if (missing.length > 0) {
    const message = `Requires capabilities : [${missing.join(', ')}]`;
    throw new InsufficientCapabilitiesException({ message, Message: message, $metadata: errorMetadata() });
  }
  return { templateUrl: input.TemplateURL, model, capabilities: [...capabilities] };
}

/** A resource failure reason the way CloudFormation's resource handlers word it. */
export function handlerMessage(message: string, service: string, code: string): string {
  return (
    `Resource handler returned message: "${message} (Service: ${service}, Status Code: 400, Request ID: ${randomUUID()})" ` +
    `(RequestToken: ${randomUUID()}, HandlerErrorCode: ${code})`
  );
}
