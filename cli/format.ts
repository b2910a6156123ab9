/**
 * Text building blocks of the command line: colours, tables, times, e-mail redaction, names made
 * safe to print. Pure.
 */
import { stripVTControlCharacters, styleText } from 'node:util';
import { redactEmails as redactEmailsWith } from '../functions/shared/step/redact.ts';

/** The few styles the command line uses (names `node:util` `styleText` knows). */
export const colours = ['green', 'red', 'yellow', 'cyan', 'dim', 'bold'] as const;
export type Colour = (typeof colours)[number];

/** Paints text, or leaves it as is when colours are off (no TTY, or NO_COLOR set). */
export type Painter = (colour: Colour, text: string) => string;

/**
 * A painter that colours (enabled) or passes text through. Whether to colour is decided once, by
 * {@link coloursWanted} for the stream written to, so `styleText` is told not to judge
 * `process.stdout` itself.
 */
export function createPainter(enabled: boolean): Painter {
  return enabled ? (colour, text) => styleText(colour, text, { validateStream: false }) : (_colour, text) => text;
}

/**
 * Colours are for people at a terminal: only on a TTY, and never when NO_COLOR is set to
 * anything non-empty (https://no-color.org).
 */
export function coloursWanted(isTTY: boolean, env: Readonly<Record<string, string | undefined>>): boolean {
  const noColour = env.NO_COLOR;
  return isTTY && (noColour === undefined || noColour === '');
}

/** Length as the terminal shows it (escape sequences take no room). */
export function visibleLength(text: string): number {
  return stripVTControlCharacters(text).length;
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

const namedEscapes: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\' };

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const invisiblePattern = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\\]/g;

/**
 * A name as it may be printed: control characters, escape sequences and invisible formatting
 * characters (bidirectional overrides, zero-width spaces) shown as escapes (`\x1b`, `\n`,
 * `\u202e`), so a tenant name can neither drive the terminal nor disguise itself. A backslash is
 * doubled, so the escapes cannot be forged.
 */
export function visibleText(text: string): string {
  return text.replace(invisiblePattern, (character) => {
    const named = namedEscapes[character];
    if (named !== undefined) return named;
    const code = character.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** True when the text has nothing a reader can see (empty, or only spaces, tabs, line breaks). */
export function isBlank(text: string): boolean {
  return text.trim() === '';
}

/** The last part of an ARN's resource path: enough to tell resources apart in a listing. */
export function arnTail(arn: string): string {
  const resource = arn.split(':').slice(5).join(':');
  const parts = resource.split(/[/:]/);
  return parts[parts.length - 1] ?? arn;
}
