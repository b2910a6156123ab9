/**
 * Synthesizes tenant templates to the JSON the orchestrator's CreateStack calls point at.
 * Publishing (e.g. a BucketDeployment of this JSON) puts each under {@link tenantTemplateKey}.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import type { SiloIsolationModel } from './tenant-parameters.ts';
import { TenantTemplateStack } from './tenant-template-stack.ts';

/**
 * Object key of a published template, relative to the orchestrator's TEMPLATE_BASE_URL.
 * Must match the URL the plan step builds: `${templateBaseUrl}/${model}/${version}/template.json`
 * (functions/plan-tenant/plan.ts; the contract test checks they agree).
 */
export function tenantTemplateKey(model: SiloIsolationModel, version: string): string {
  return `${model}/${version}/template.json`;
}

/**
 * The template JSON of one model and version, synthesized in a throw-away app so publishing it
 * leaves no trace in the deploying app's tree (and none of its aspects or nag rules apply twice).
 */
export function synthesizeTenantTemplate(model: SiloIsolationModel, version: string): Record<string, unknown> {
  const outdir = mkdtempSync(join(tmpdir(), 'tenant-template-'));
  try {
    const app = new App({ outdir });
    const stack = new TenantTemplateStack(app, `TenantTemplate-${model}`, {
      isolationModel: model,
      templateVersion: version,
    });
    const template: unknown = app.synth().getStackArtifact(stack.artifactId).template;
    return template as Record<string, unknown>;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
