/**
 * The permissions boundary of every role a tenant stack creates. The tenant stack role may create
 * roles (and put policies on them) only with this boundary attached, so whatever a tenant template
 * or a bad parameter writes into a role's policy, the role can never do more than this: write its
 * own tenant log group and pull the catalog's private images. Nothing in it touches IAM, so a
 * tenant role cannot lift its own boundary.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
 */
import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { tenantLogGroupPrefix } from '../tenant-templates/tenant-template-stack.ts';
import { accountArn, acknowledgeWildcardResource, anyResourceFinding } from './nag.ts';

/** Properties of {@link TenantPermissionsBoundary}. */
export interface TenantPermissionsBoundaryProps {
  /** Tenant stacks are `<prefix>-<tenantId>`; their log groups `/tenants/<prefix>-<tenantId>`. */
  readonly stackNamePrefix: string;
  /**
   * ECR repositories tenant tasks may pull from (the catalog's private images).
   * @default none: only public images, which need no ECR permissions
   */
  readonly repositoryArns?: readonly string[];
}

/** ECR read actions a task execution role needs to pull an image. */
const ecrPullActions = ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'] as const;

/** The managed policy used as the permissions boundary of tenant roles. */
export class TenantPermissionsBoundary extends Construct {
  public readonly policy: iam.ManagedPolicy;
  /** Log groups tenant roles may write to: `/tenants/<prefix>-*`. */
  public readonly tenantLogGroups: string;

  constructor(scope: Construct, id: string, props: TenantPermissionsBoundaryProps) {
    super(scope, id);
    this.tenantLogGroups = accountArn('logs', `log-group:${tenantLogGroupPrefix}${props.stackNamePrefix}-*`);
    const statements = [
      new iam.PolicyStatement({
        sid: 'WriteTenantLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.tenantLogGroups],
      }),
    ];
    const repositories = [...(props.repositoryArns ?? [])];
    if (repositories.length > 0) {
      statements.push(
        new iam.PolicyStatement({ sid: 'AuthenticateToEcr', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
        new iam.PolicyStatement({ sid: 'PullCatalogImages', actions: [...ecrPullActions], resources: repositories }),
      );
    }
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `Permissions boundary of tenant roles (${props.stackNamePrefix}-*): tenant log groups and the catalog's ECR repositories only`,
      document: new iam.PolicyDocument({ statements }),
    });
    acknowledgeWildcardResource(
      this.policy,
      this.tenantLogGroups,
      'Tenant log groups are /tenants/<prefix>-<tenantId>, one per tenant stack; the boundary caps every tenant role to them',
    );
    if (repositories.length > 0) {
      Validations.of(this.policy).acknowledge({
        id: anyResourceFinding,
        reason: 'ecr:GetAuthorizationToken supports no resource-level permissions; AWS requires Resource "*" for it',
      });
    }
  }
}
