/**
 * The checks CloudFormation makes on a CreateStack request before it starts anything, and the
 * shape of the messages resource handlers write into failure events.
 */
import { randomUUID } from 'node:crypto';
import { InsufficientCapabilitiesException, type Capability, type CreateStackCommandInput } from '@aws-sdk/client-cloudformation';
import { cloudFormationValidationError, errorMetadata } from './aws-shapes.ts';
import type { TemplateModel, TenantStackModel } from './template-model.ts';

const stackNamePattern = /^[a-zA-Z][-a-zA-Z0-9]{0,127}$/;

/** Throws CloudFormation's ValidationError for a name it does not accept. */
export function checkStackName(stackName: string): void {
  if (stackNamePattern.test(stackName)) return;
  throw cloudFormationValidationError(
    `1 validation error detected: Value '${stackName}' at 'stackName' failed to satisfy constraint: ` +
      'Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*|arn:[-a-zA-Z0-9:/._+]*',
  );
}

/** A CreateStack request CloudFormation accepted, with what the stack will create. */
export interface CheckedCreateRequest {
  readonly templateUrl: string;
  readonly model: TenantStackModel;
  readonly capabilities: Capability[];
}

/** Checks the template, parameters and capabilities of a CreateStack request, throwing AWS's errors. */
export function checkCreateRequest(input: CreateStackCommandInput, templateModel: TemplateModel): CheckedCreateRequest {
  if (input.TemplateBody !== undefined) throw new Error('The local cloud models TemplateURL only, not TemplateBody');
  if (input.TemplateURL === undefined) throw cloudFormationValidationError('Either Template URL or Template Body must be specified.');
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
  const missing = (model.requiredCapabilities ?? []).filter((capability) => !acknowledged.has(capability));
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
