/**
 * Synthesizes an app with the cdk-nag AwsSolutions pack and returns every unacknowledged
 * finding (errors and warnings), read from the validation report CDK writes.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations, type Stage } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

export interface NagFinding {
  readonly rule: string;
  readonly severity: string;
  readonly path: string;
}

interface Report {
  pluginReports?: {
    violations?: { ruleName: string; severity: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
}

/** A fresh app writing to a temporary folder, with AwsSolutions checks attached. */
export function nagApp(context: Record<string, unknown> = {}): App {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'nag-')), context });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

/** Synthesizes and returns the unacknowledged findings (empty when clean). */
export function nagFindings(app: Stage): NagFinding[] {
  try {
    app.synth({ force: true });
  } catch (error) {
    if (!/validation ?failed/i.test(`${(error as Error).name} ${(error as Error).message}`)) throw error;
  }
  const file = join(app.outdir, 'validation-report.json');
  if (!existsSync(file)) return [];
  const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
  return (report.pluginReports ?? []).flatMap((plugin) =>
    (plugin.violations ?? []).flatMap((violation) =>
      violation.violatingConstructs.map((construct) => ({
        rule: violation.ruleName,
        severity: violation.severity,
        path: construct.constructPath,
      })),
    ),
  );
}
