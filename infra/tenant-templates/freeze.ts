/**
 * Ships a tenant template version: synthesizes the source in this folder at `--version` and writes
 * it, frozen, to versions/<model>/<version>.json. A shipped version is never rewritten (tenants run
 * on it and a rollback returns to it), so an existing file is refused.
 *
 *   npm run templates:freeze -- --model silo-services --version 1.2.0
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { sharedParametersByModel } from '../../functions/shared/config/template-parameters.ts';
import { synthesizeTenantTemplate } from './synthesize.ts';
import {
  latestShippedVersion,
  compareVersions,
  shippedTemplatePath,
  type ShippedModel,
  versionPattern,
} from './versions.ts';

/** The file text of a frozen template: stable key order as synthesized, two-space indent, final newline. */
export function frozenTemplateText(template: Record<string, unknown>): string {
  return `${JSON.stringify(template, null, 2)}\n`;
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function main(): void {
  const { values } = parseArgs({ options: { model: { type: 'string' }, version: { type: 'string' } } });
  const models = Object.keys(sharedParametersByModel);
  const { model, version } = values;
  if (model === undefined || !models.includes(model))
    fail(`--model must be one of ${models.join(', ')}${model === undefined ? '' : ` (got ${JSON.stringify(model)})`}`);
  if (version === undefined || !versionPattern.test(version)) fail('--version must be MAJOR.MINOR.PATCH, e.g. 1.2.0');
  const shippedModel = model as ShippedModel;
  const path = shippedTemplatePath(shippedModel, version);
  if (existsSync(path)) fail(`${model} ${version} is already shipped (${path}); ship a new version instead`);
  const latest = latestShippedVersion(shippedModel);
  if (latest !== undefined && compareVersions(version, latest) <= 0)
    fail(`${model} ${version} is not newer than the latest shipped version ${latest}`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, frozenTemplateText(synthesizeTenantTemplate(shippedModel, version)));
  process.stdout.write(`shipped ${model} ${version}: ${path}\n`);
}

main();
