/**
 * The tenant templates the local cloud creates stacks from: the real ones, synthesized from
 * infra/tenant-templates by {@link synthesizeTenantTemplate} the way they are published, once per
 * (model, version) and process. Synthesizing needs aws-cdk-lib (about a second to load, another to
 * synthesize), so it is loaded only when a template is first needed, and the JSON is also kept on
 * disk under a digest of the sources it comes from, so later processes (CLI commands, test files)
 * read it instead.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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

/** The template published for a model and version. */
export type TemplateSource = (model: SiloModel, version: string) => TemplateDocument;

type Synthesize = (model: SiloModel, version: string) => Record<string, unknown>;

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
const synthesizerPath = join(projectRoot, 'infra', 'tenant-templates', 'synthesize.ts');

/** Where templates are kept between processes unless told otherwise. */
const defaultTemplateCacheDirectory = join(
  projectRoot,
  'node_modules',
  '.cache',
  'tenant-orchestrator',
  'tenant-templates',
);

/** Synthesized this process, by `<model>/<version>`: each at most once. */
const synthesized = new Map<string, TemplateDocument>();
let sourceDigest: string | undefined;

const relativeImport = /(?:^|\n)\s*(?:import|export)\b[^;'"]*?(?:from\s+)?'(\.{1,2}\/[^']+)'/g;

/**
 * A digest of what a synthesized template depends on: the synthesizer's module and every module
 * it imports from the project, plus the CDK versions. A change to any of them misses the disk cache.
 */
function templateSourceDigest(): string {
  if (sourceDigest !== undefined) return sourceDigest;
  const hash = createHash('sha256');
  const seen = new Set<string>();
  const pending = [synthesizerPath];
  for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
    if (seen.has(path)) continue;
    seen.add(path);
    const source = readFileSync(path, 'utf8');
    hash.update(`${path.slice(projectRoot.length)}\n${source}\n`);
    for (const match of source.matchAll(relativeImport)) pending.push(resolve(dirname(path), match[1] ?? ''));
  }
  for (const dependency of ['aws-cdk-lib', 'constructs']) {
    const manifest = join(projectRoot, 'node_modules', dependency, 'package.json');
    hash.update(
      existsSync(manifest)
        ? `${dependency}@${String((JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown }).version)}`
        : dependency,
    );
  }
  sourceDigest = hash.digest('hex').slice(0, 16);
  return sourceDigest;
}

/**
 * Loads the synthesizer synchronously (stack creation is synchronous), on first use only: a
 * static import would load aws-cdk-lib into every process that merely touches the local cloud.
 */
function loadSynthesizer(): Synthesize {
  const require = createRequire(import.meta.url);
  return (require(synthesizerPath) as { synthesizeTenantTemplate: Synthesize }).synthesizeTenantTemplate;
}

function readCached(path: string): TemplateDocument | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as TemplateDocument;
  } catch {
    // A torn or foreign file: synthesize again and overwrite it.
    return undefined;
  }
}

function writeCached(path: string, template: TemplateDocument): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(template));
    renameSync(temporary, path);
  } catch {
    // The disk copy only saves time; a read-only tree synthesizes in every process instead.
  }
}

/** Options of {@link synthesizedTemplates}. */
export interface SynthesizedTemplatesOptions {
  /**
   * Where templates are kept between processes; false keeps them in this process only.
   * @default defaultTemplateCacheDirectory (false with a `synthesize` of the caller's)
   */
  readonly cacheDirectory?: string | false;
  /** @default infra/tenant-templates/synthesize.ts's synthesizeTenantTemplate, loaded on first use */
  readonly synthesize?: Synthesize;
}

/** The real tenant templates, synthesized at most once per (model, version) and process. */
export function synthesizedTemplates(options: SynthesizedTemplatesOptions = {}): TemplateSource {
  // A stand-in synthesizer (tests) keeps its templates to itself, off disk unless told where.
  const real = options.synthesize === undefined;
  const memory = real ? synthesized : new Map<string, TemplateDocument>();
  const cacheDirectory = options.cacheDirectory ?? (real ? defaultTemplateCacheDirectory : false);
  return (model, version) => {
    const key = `${model}/${version}`;
    const known = memory.get(key);
    if (known !== undefined) return known;
    const file =
      cacheDirectory === false
        ? undefined
        : join(cacheDirectory, templateSourceDigest(), `${model}-${encodeURIComponent(version)}.json`);
    let template = file === undefined ? undefined : readCached(file);
    if (template === undefined) {
      template = (options.synthesize ?? loadSynthesizer())(model, version) as unknown as TemplateDocument;
      if (file !== undefined) writeCached(file, template);
    }
    memory.set(key, template);
    return template;
  };
}
