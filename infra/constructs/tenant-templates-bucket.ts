/**
 * Where the tenant templates live: a private, versioned bucket the orchestrator's CreateStack calls
 * point at, and the deployment that publishes every shipped version of each silo model's template
 * (infra/tenant-templates/versions). Publishing never removes objects, so tenants created from a
 * version no longer shipped keep their template.
 */
import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import type { SiloIsolationModel } from '../tenant-templates/tenant-parameters.ts';
import { tenantTemplateKey } from '../tenant-templates/synthesize.ts';
import { acknowledgeWildcardResource, nagResourceName } from './nag.ts';

/** A shipped tenant template and where it is published. */
export interface PublishedTemplate {
  readonly model: SiloIsolationModel;
  readonly version: string;
  readonly template: Record<string, unknown>;
}

/** Properties of {@link TenantTemplatesBucket}. */
export interface TenantTemplatesBucketProps {
  /** The templates to publish: every shipped version of every silo model. */
  readonly templates: readonly PublishedTemplate[];
  /** Retention of the publishing function's logs. */
  readonly logRetention: logs.RetentionDays;
}

/** The templates bucket, its access-log bucket and the publishing deployment. */
export class TenantTemplatesBucket extends Construct {
  public readonly bucket: s3.Bucket;
  /** Server access logs of the templates bucket. */
  public readonly accessLogBucket: s3.Bucket;
  public readonly deployment: s3deploy.BucketDeployment;
  /** `https://<bucket regional domain>`: the TEMPLATE_BASE_URL of the plan step. */
  public readonly baseUrl: string;

  constructor(scope: Construct, id: string, props: TenantTemplatesBucketProps) {
    super(scope, id);
    // Deliver access logs by bucket policy, not ACLs, so the log bucket can enforce bucket-owner ownership.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = new s3.Bucket(this, 'Templates', {
      versioned: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogBucket,
      serverAccessLogsPrefix: 'templates/',
      // Existing tenant stacks were created from these objects; CloudFormation reads them again on updates.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.baseUrl = `https://${this.bucket.bucketRegionalDomainName}`;
    this.deployment = this.publish(props);
  }

  private publish(props: TenantTemplatesBucketProps): s3deploy.BucketDeployment {
    const role = new iam.Role(this, 'PublisherRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Publishes the tenant templates: reads the CDK asset, writes the templates bucket',
    });
    const logGroup = new logs.LogGroup(this, 'PublisherLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    logGroup.grantWrite(role);
    const deployment = new s3deploy.BucketDeployment(this, 'Publish', {
      destinationBucket: this.bucket,
      sources: props.templates.map(({ model, version, template }) =>
        s3deploy.Source.jsonData(tenantTemplateKey(model, version), template),
      ),
      // Older versions stay: tenants created from them are updated and deleted with their own version.
      prune: false,
      retainOnDelete: true,
      role,
      logGroup,
    });
    this.acknowledgePublisherFindings(role, deployment);
    return deployment;
  }

  /** The findings of CDK's own BucketDeployment handler, whose code and grants this app cannot change. */
  private acknowledgePublisherFindings(role: iam.Role, deployment: s3deploy.BucketDeployment): void {
    const grantReason =
      "BucketDeployment's own grants (read of the CDK asset, read/write of the templates bucket) use these wildcard actions; its handler copies whole prefixes";
    Validations.of(role).acknowledge(
      { id: 'AwsSolutions-IAM5[Action::s3:GetObject*]', reason: grantReason },
      { id: 'AwsSolutions-IAM5[Action::s3:GetBucket*]', reason: grantReason },
      { id: 'AwsSolutions-IAM5[Action::s3:List*]', reason: grantReason },
      { id: 'AwsSolutions-IAM5[Action::s3:DeleteObject*]', reason: grantReason },
      { id: 'AwsSolutions-IAM5[Action::s3:Abort*]', reason: grantReason },
    );
    acknowledgeWildcardResource(
      role,
      this.bucket.arnForObjects('*'),
      'The publisher writes template objects under any <model>/<version>/ key of the templates bucket',
    );
    for (const resource of this.assetObjectResources(role)) {
      acknowledgeWildcardResource(
        role,
        resource,
        "The template JSON is staged as a CDK asset in the bootstrap assets bucket under a content-hash key; BucketDeployment grants read on the bucket's objects",
      );
    }
    // The handler is a singleton at stack level (CDK's Python function), not under `deployment`.
    const stack = Stack.of(this);
    const handler = stack.node.children.find((child) => child.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (handler === undefined) throw new Error(`${deployment.node.path}: BucketDeployment handler not found`);
    Validations.of(handler).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        "The BucketDeployment handler's Python runtime is chosen by aws-cdk-lib and cannot be configured; it runs only at deployment time",
    });
  }

  /** Object ARNs of the CDK assets bucket in the publisher's policy (the bucket's name depends on the synthesizer). */
  private assetObjectResources(role: iam.Role): string[] {
    const policy = role.node.tryFindChild('DefaultPolicy') as iam.Policy | undefined;
    const document = Stack.of(this).resolve(policy?.document) as { Statement?: { Resource?: unknown }[] } | undefined;
    const resources = (document?.Statement ?? []).flatMap((statement) =>
      Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource],
    );
    return resources
      .filter(
        (resource) =>
          nagResourceName(Stack.of(this), resource).match(/^arn:<AWS::Partition>:s3:::cdk-[a-z0-9]+-assets-.*\/\*$/) !==
          null,
      )
      .map((resource) => resource as string);
  }
}
