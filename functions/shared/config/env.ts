import { ConfigurationError } from '../step/errors.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** Reads a required environment variable; throws {@link ConfigurationError} naming it when absent. */
export function requireEnv(name: string, env: Env = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new ConfigurationError(`Environment variable ${name} is required but not set`);
  }
  return value;
}

/** Reads a required environment variable holding JSON and parses it. */
export function requireJsonEnv(name: string, env: Env = process.env): unknown {
  const raw = requireEnv(name, env);
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw new ConfigurationError(`Environment variable ${name} is not valid JSON`, { cause: error });
  }
}

/** Reads a required positive integer environment variable. */
export function requireIntEnv(name: string, env: Env = process.env): number {
  const raw = requireEnv(name, env);
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new ConfigurationError(`Environment variable ${name} must be a positive integer, got "${raw}"`);
  }
  return value;
}

/** Reads a required boolean environment variable ("true" or "false"). */
export function requireBoolEnv(name: string, env: Env = process.env): boolean {
  const raw = requireEnv(name, env);
  if (raw !== 'true' && raw !== 'false') {
    throw new ConfigurationError(`Environment variable ${name} must be "true" or "false", got "${raw}"`);
  }
  return raw === 'true';
}
