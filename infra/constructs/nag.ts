/**
 * Acknowledging cdk-nag findings by their exact id. IAM5 ids name the resource the way cdk-nag
 * flattens it (`arn:<AWS::Partition>:...`, `<LogicalId.Arn>/*`), so the id is computed from the
 * very value put in the policy: an acknowledgement cannot drift from the statement it covers.
 */
import { Aws, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Finding id of a statement allowing actions on every resource (`Resource: '*'`). */
export const anyResourceFinding = 'AwsSolutions-IAM5[Resource::*]';

/**
 * How cdk-nag spells a resolved CloudFormation value in a finding (its flattenCfnReference):
 * joins are concatenated, `Ref`s become `<Name>`, `GetAtt`s `<LogicalId.Attribute>`, `${X}` in a Sub `<X>`.
 * Throws for other intrinsics: wildcard ARNs are built from this stack's values and pseudo parameters only.
 */
export function nagResourceName(stack: Stack, value: unknown): string {
  const visit = (node: unknown): string => {
    if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
    if (typeof node === 'object' && node !== null) {
      const record = node as Record<string, unknown>;
      if (Array.isArray(record['Fn::Join'])) {
        const [delimiter, items] = record['Fn::Join'] as [string, unknown[]];
        return items.map(visit).join(delimiter);
      }
      if (typeof record['Fn::Sub'] === 'string') return visit(record['Fn::Sub']);
      if (typeof record.Ref === 'string') return `<${record.Ref}>`;
      if (Array.isArray(record['Fn::GetAtt'])) {
        const [logicalId, attribute] = record['Fn::GetAtt'] as [string, string];
        return `<${logicalId}.${attribute}>`;
      }
    }
    throw new Error(
      `Cannot name ${JSON.stringify(node)} in a cdk-nag acknowledgement; build wildcard ARNs from this stack's values`,
    );
  };
  return visit(stack.resolve(value));
}

/** Acknowledges the IAM5 finding of one wildcard resource (a token string or its resolved form) on `scope` and everything under it. */
export function acknowledgeWildcardResource(scope: IConstruct, resource: unknown, reason: string): void {
  Validations.of(scope).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${nagResourceName(Stack.of(scope), resource)}]`,
    reason,
  });
}

/**
 * An ARN pattern in the deploying account, written with pseudo parameters so it reads the same
 * (and cdk-nag names it the same) in every environment.
 */
export function accountArn(service: string, resource: string, options: { readonly regional?: boolean } = {}): string {
  const region = options.regional === false ? '' : Aws.REGION;
  return `arn:${Aws.PARTITION}:${service}:${region}:${Aws.ACCOUNT_ID}:${resource}`;
}
