/**
 * The tenant templates the local cloud creates stacks from: the shipped versions, frozen in
 * infra/tenant-templates/versions/<model>/<version>.json, exactly the files a deployment publishes.
 * A version that was never shipped has no template, so a stack asking for it is refused, as S3
 * refuses CloudFormation a key that was never uploaded.
 */
import { readShippedTemplate } from '../../infra/tenant-templates/versions.ts';
import type { sharedParametersByModel } from '../../functions/shared/config/template-parameters.ts';
import type { ParameterDeclaration } from './stack-parameters.ts';

/** A silo isolation model: the ones with a tenant template. */
export type SiloModel = keyof typeof sharedParametersByModel;

/** A resource as a template declares it. */
export interface ResourceDeclaration {
  readonly Type: string;
  readonly Properties?: Readonly<Record<string, unknown>>;
  readonly Condition?: string;
  readonly DependsOn?: string | readonly string[];
}

/** The parts of a template the local cloud reads. */
export interface TemplateDocument {
  readonly Parameters?: Readonly<Record<string, ParameterDeclaration>>;
  readonly Conditions?: Readonly<Record<string, unknown>>;
  readonly Resources: Readonly<Record<string, ResourceDeclaration>>;
  readonly Outputs?: Readonly<Record<string, { readonly Value: unknown; readonly Condition?: string }>>;
}

/** The template published for a model and version; undefined when that version was never published. */
export type TemplateSource = (model: SiloModel, version: string) => TemplateDocument | undefined;

/** Read this process, by `<model>/<version>`: each file at most once. */
const shipped = new Map<string, TemplateDocument | undefined>();

/** The shipped templates (infra/tenant-templates/versions), each file read at most once per process. */
export function shippedTemplateSource(): TemplateSource {
  return (model, version) => {
    const key = `${model}/${version}`;
    if (!shipped.has(key)) shipped.set(key, readShippedTemplate(model, version) as TemplateDocument | undefined);
    return shipped.get(key);
  };
}
