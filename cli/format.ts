/**
 * Text building blocks of the command line: colours, tables, times, e-mail redaction. Pure.
 */
import { redactEmails as redactEmailsWith } from '../functions/shared/step/redact.ts';

/** SGR codes of the few colours the command line uses. */
export const Colour = {
  green: 32,
  red: 31,
  yellow: 33,
  cyan: 36,
  dim: 2,
  bold: 1,
} as const;
export type Colour = keyof typeof Colour;

/** Paints text, or leaves it as is when colours are off (no TTY, or NO_COLOR set). */
export type Painter = (colour: Colour, text: string) => string;

/** A painter that colours (enabled) or passes text through. */
export function createPainter(enabled: boolean): Painter {
  return enabled ? (colour, text) => `\u001b[${Colour[colour]}m${text}\u001b[0m` : (_colour, text) => text;
}

/**
 * Colours are for people at a terminal: only on a TTY, and never when NO_COLOR is set to
 * anything non-empty (https://no-color.org).
 */
export function coloursWanted(isTTY: boolean, env: Readonly<Record<string, string | undefined>>): boolean {
  const noColour = env.NO_COLOR;
  return isTTY && (noColour === undefined || noColour === '');
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal escape sequences is the point
const ansiPattern = /\u001b\[[0-9;]*[A-Za-z]/g;

/** Length as the terminal shows it (escape sequences take no room). */
export function visibleLength(text: string): number {
  return text.replace(ansiPattern, '').length;
}

function padEnd(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - visibleLength(text)));
}

/**
 * Lays rows out in aligned columns under a header. Cells may already be coloured.
 * Returns one string per line, without trailing spaces.
 */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], paint?: Painter): string[] {
  const widths = headers.map((header, column) =>
    Math.max(visibleLength(header), ...rows.map((row) => visibleLength(row[column] ?? ''))),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => padEnd(cell, widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  const headerLine = line(headers);
  return [paint ? paint('bold', headerLine) : headerLine, ...rows.map(line)];
}

function twoDigits(value: number): string {
  return String(value).padStart(2, '0');
}

/** `HH:MM:SS` in local time, like a terminal clock. */
export function clockTime(epochMs: number): string {
  const date = new Date(epochMs);
  return `${twoDigits(date.getHours())}:${twoDigits(date.getMinutes())}:${twoDigits(date.getSeconds())}`;
}

/** `HH:MM:SS.mmm` in local time, for histories where steps are milliseconds apart. */
export function preciseClockTime(epochMs: number): string {
  return `${clockTime(epochMs)}.${String(new Date(epochMs).getMilliseconds()).padStart(3, '0')}`;
}

/** `850ms`, `1.4s`, `2m05s`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m${twoDigits(seconds % 60)}s`;
}

/** Cuts text to a width, marking the cut. */
export function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

/**
 * Hides e-mail addresses. Every line the command line writes passes through this: admin
 * addresses are personal data, and an error message may quote one. The replacement keeps JSON
 * valid. Linear in the text's length (see functions/shared/step/redact.ts), so a huge field prints at once.
 */
export function redactEmails(text: string): string {
  return redactEmailsWith(text, '[e-mail hidden]');
}

/** The last part of an ARN's resource path: enough to tell resources apart in a listing. */
export function arnTail(arn: string): string {
  const resource = arn.split(':').slice(5).join(':');
  const parts = resource.split(/[/:]/);
  return parts[parts.length - 1] ?? arn;
}
