/**
 * Section 3, cold-start proxies: each Lambda function bundled exactly as the CDK app bundles it
 * (infra/constructs/orchestrator-function.ts), its size, and the time a fresh Node process takes
 * to import it and see the `handler` export (median of several processes). The bundles go to
 * node_modules/.cache/bench so the external @aws-sdk/* packages resolve from the repository, as
 * they resolve from the Lambda runtime's own copy in AWS.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { allFunctionDirectories } from '../../functions/lambda-functions.ts';
import { median } from '../lib/stats.ts';

const run = promisify(execFile);

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const bundleDirectory = join(projectRoot, 'node_modules', '.cache', 'bench', 'bundles');

/** The banner the CDK construct adds (ESM bundles have no `require`). */
const esmRequireShim = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/** Imports the modules named by the arguments, in order, and prints how long it took. */
const externalsScript = [
  'const started = performance.now();',
  'for (const specifier of process.argv.slice(1)) await import(specifier);',
  'console.log(JSON.stringify({ importMs: performance.now() - started, sinceProcessStartMs: performance.now() }));',
].join('\n');

/** Imports the bundle given as the first argument and prints how long it took (ms since process start, too). */
const loaderScript = [
  'const started = performance.now();',
  'const module = await import(process.argv[1]);',
  'const importMs = performance.now() - started;',
  "if (typeof module.handler !== 'function') { console.error('no handler export'); process.exit(3); }",
  'console.log(JSON.stringify({ importMs, sinceProcessStartMs: performance.now() }));',
].join('\n');

export interface BundleFigures {
  readonly function: string;
  readonly bytes: number;
  readonly sourceMapBytes: number;
  /** The largest contributors to the bundle, by package (or project folder). */
  readonly topInputs: readonly { readonly input: string; readonly bytes: number }[];
  /** Median milliseconds to import the bundle and get `handler`, NODE_OPTIONS=--enable-source-maps as deployed. */
  readonly importMs: number;
  /** The same without source maps. */
  readonly importMsWithoutSourceMaps: number;
  /** Modules the bundle leaves to the runtime (the AWS SDK), and the median time to import only them. */
  readonly externals: readonly string[];
  readonly externalsImportMs: number;
  /** Median milliseconds from process start to the handler export (node's own start included). */
  readonly sinceProcessStartMs: number;
  /**
   * Median milliseconds to import the baseline (the SDK's DynamoDB clients alone, {@link baselineModules}),
   * each load taken right after one of this bundle's, so both see the same machine load.
   */
  readonly baselineImportMs: number;
  /**
   * Median over the loads of (bundle import, deployed) / (baseline import of the same round): how
   * many times the SDK client alone the bundle costs. Unlike milliseconds, this barely moves with
   * the machine's load.
   */
  readonly importRatio: number;
  readonly loads: number;
}

/**
 * The baseline every import time is divided by: the SDK's DynamoDB client and document client,
 * which every orchestrator function uses (the tenant registry), imported alone in a fresh process.
 */
export const baselineModules = ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb'] as const;

export interface ColdStartResult {
  readonly nodeVersion: string;
  /** The modules of the baseline import. */
  readonly baselineModules: readonly string[];
  /** Median milliseconds to import only {@link baselineModules}, over every baseline load of the run. */
  readonly dynamoDbOnlyImportMs: number;
  readonly bundles: readonly BundleFigures[];
}

/** `node_modules/@aws-lambda-powertools/logger/lib/...` -> `@aws-lambda-powertools/logger`; project files -> their top folder. */
export function inputGroup(path: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (match) return match[1]!;
  const [top, second] = path.split('/');
  return second === undefined ? top! : `${top}/${second}`;
}

function outputOf(metafile: Metafile, outfile: string): Metafile['outputs'][string] | undefined {
  return Object.entries(metafile.outputs).find(([path]) => resolve(projectRoot, path) === outfile)?.[1];
}

/** The packages the bundle imports at run time instead of containing them. */
function externalImports(metafile: Metafile, outfile: string): string[] {
  return [
    ...new Set(
      (outputOf(metafile, outfile)?.imports ?? [])
        .filter((entry) => entry.external && !entry.path.startsWith('node:'))
        .map((entry) => entry.path),
    ),
  ];
}

function topInputs(metafile: Metafile, outfile: string, count = 5): { input: string; bytes: number }[] {
  const output = outputOf(metafile, outfile);
  const groups = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const group = inputGroup(path);
    groups.set(group, (groups.get(group) ?? 0) + bytesInOutput);
  }
  return [...groups.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([input, bytes]) => ({ input, bytes }));
}

/** Bundles one function with the CDK construct's esbuild settings. */
export async function bundleFunction(directory: string): Promise<{ outfile: string; metafile: Metafile }> {
  const outfile = join(bundleDirectory, directory, 'index.mjs');
  rmSync(dirname(outfile), { recursive: true, force: true });
  mkdirSync(dirname(outfile), { recursive: true });
  const result = await build({
    entryPoints: [join(projectRoot, 'functions', directory, 'handler.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minify: true,
    sourcemap: true,
    banner: { js: esmRequireShim },
    external: ['@aws-sdk/*'],
    mainFields: ['module', 'main'],
    metafile: true,
    logLevel: 'silent',
  });
  return { outfile, metafile: result.metafile };
}

async function load(
  script: string,
  modules: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ importMs: number; sinceProcessStartMs: number }> {
  // Run from the bundle's folder, so bare specifiers resolve through the repository's node_modules as the bundle's do.
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script, ...modules], {
    env,
    cwd: bundleDirectory,
  });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { importMs: number; sinceProcessStartMs: number };
}

/** The environment the handlers read at cold start: the test suite's values (test/setup-env.ts). */
async function handlerEnvironment(): Promise<NodeJS.ProcessEnv> {
  await import('../../test/setup-env.ts');
  return { ...process.env };
}

/** Bundles every function and times its import in fresh processes. */
export async function runColdStartSection(options: {
  readonly loads: number;
  readonly log?: (line: string) => void;
}): Promise<ColdStartResult> {
  const base = await handlerEnvironment();
  const deployed = { ...base, NODE_OPTIONS: '--enable-source-maps' };
  const plain = { ...base, NODE_OPTIONS: '' };
  const bundles: BundleFigures[] = [];
  const allBaselines: number[] = [];
  for (const directory of allFunctionDirectories) {
    const { outfile, metafile } = await bundleFunction(directory);
    const withMaps: number[] = [];
    const sinceStart: number[] = [];
    const withoutMaps: number[] = [];
    const externalsOnly: number[] = [];
    const baseline: number[] = [];
    const ratios: number[] = [];
    const externals = externalImports(metafile, outfile);
    const bundleUrl = pathToFileURL(outfile).href;
    for (let index = 0; index < options.loads; index += 1) {
      const measured = await load(loaderScript, [bundleUrl], deployed);
      // The baseline right after the bundle: the pair sees the same load, and their ratio cancels it.
      const baselineMs = (await load(externalsScript, baselineModules, plain)).importMs;
      withMaps.push(measured.importMs);
      baseline.push(baselineMs);
      ratios.push(measured.importMs / baselineMs);
      allBaselines.push(baselineMs);
      sinceStart.push(measured.sinceProcessStartMs);
      withoutMaps.push((await load(loaderScript, [bundleUrl], plain)).importMs);
      externalsOnly.push((await load(externalsScript, externals, plain)).importMs);
    }
    const figures: BundleFigures = {
      function: directory,
      bytes: statSync(outfile).size,
      sourceMapBytes: statSync(`${outfile}.map`).size,
      topInputs: topInputs(metafile, outfile),
      importMs: Number(median(withMaps).toFixed(1)),
      importMsWithoutSourceMaps: Number(median(withoutMaps).toFixed(1)),
      externals,
      externalsImportMs: Number(median(externalsOnly).toFixed(1)),
      sinceProcessStartMs: Number(median(sinceStart).toFixed(1)),
      baselineImportMs: Number(median(baseline).toFixed(1)),
      importRatio: Number(median(ratios).toFixed(2)),
      loads: options.loads,
    };
    bundles.push(figures);
    options.log?.(
      `cold start: ${directory} ${(figures.bytes / 1024).toFixed(0)} KiB, import ${figures.importMs} ms (${figures.importRatio}× the baseline)`,
    );
  }
  return {
    nodeVersion: process.version,
    baselineModules,
    dynamoDbOnlyImportMs: Number(median(allBaselines).toFixed(1)),
    bundles,
  };
}
