/**
 * The sample control-plane events in events/samples/, for tests, docs and `npm start send`.
 * Valid ones parse with the contract; the two named "invalid" show how bad input is answered.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const samplesDirectory = fileURLToPath(new URL('./samples/', import.meta.url));

/** Sample names that are deliberately not valid requests. */
export const invalidSampleNames: readonly string[] = ['onboarding-unknown-tier', 'onboarding-missing-registration'];

/** Every sample's name (file name without `.json`). */
export function sampleNames(): string[] {
  return readdirSync(samplesDirectory)
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .sort();
}

/** A sample event, parsed. */
export function readSample(name: string): Record<string, unknown> & { detail: Record<string, unknown> } {
  return JSON.parse(readFileSync(`${samplesDirectory}${name}.json`, 'utf8')) as Record<string, unknown> & {
    detail: Record<string, unknown>;
  };
}
