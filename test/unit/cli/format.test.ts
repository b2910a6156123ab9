import { describe, expect, it } from 'vitest';
import {
  arnTail,
  clockTime,
  coloursWanted,
  createPainter,
  duration,
  preciseClockTime,
  redactEmails,
  table,
  truncate,
  visibleLength,
  visibleText,
  isBlank,
} from '../../../cli/format.ts';

describe('coloursWanted', () => {
  it('wants colours only on a TTY without NO_COLOR', () => {
    expect(coloursWanted(true, {})).toBe(true);
    expect(coloursWanted(false, {})).toBe(false);
    expect(coloursWanted(true, { NO_COLOR: '1' })).toBe(false);
    // no-color.org: an empty NO_COLOR does not count.
    expect(coloursWanted(true, { NO_COLOR: '' })).toBe(true);
  });
});

describe('createPainter', () => {
  it('wraps text in an SGR sequence when enabled and leaves it alone when not', () => {
    expect(createPainter(true)('red', 'failed')).toBe('\u001b[31mfailed\u001b[39m');
    expect(createPainter(false)('red', 'failed')).toBe('failed');
  });
});

describe('table', () => {
  it('aligns columns under the header, two spaces apart, without trailing spaces', () => {
    expect(
      table(
        ['ID', 'NAME'],
        [
          ['t-1', 'acme'],
          ['tenant-22', 'globex'],
        ],
      ),
    ).toEqual(['ID         NAME', 't-1        acme', 'tenant-22  globex']);
  });

  it('measures coloured cells by what the terminal shows', () => {
    const paint = createPainter(true);
    const lines = table(
      ['STATUS', 'X'],
      [
        [paint('green', 'ACTIVE'), 'a'],
        ['DELETED', 'b'],
      ],
    );
    expect(visibleLength(lines[1] ?? '')).toBe('ACTIVE   a'.length);
    expect(lines[2]).toBe('DELETED  b');
  });

  it('bolds the header when given a painter', () => {
    expect(table(['A'], [], createPainter(true))[0]).toBe('\u001b[1mA\u001b[22m');
  });
});

describe('times and durations', () => {
  it('formats local clock times', () => {
    const at = new Date(2026, 10, 20, 9, 5, 7, 42).getTime();
    expect(clockTime(at)).toBe('09:05:07');
    expect(preciseClockTime(at)).toBe('09:05:07.042');
  });

  it.each([
    [850, '850ms'],
    [1400, '1.4s'],
    [59_949, '59.9s'],
    [125_000, '2m05s'],
  ])('formats %i ms as %s', (ms, text) => {
    expect(duration(ms)).toBe(text);
  });
});

describe('redactEmails', () => {
  it('hides every e-mail address and keeps the rest', () => {
    expect(redactEmails('admin ops@globex.example and a.b+c@sub.example.com left')).toBe(
      'admin [e-mail hidden] and [e-mail hidden] left',
    );
  });

  it('keeps JSON valid', () => {
    const json = JSON.stringify({ email: 'admin@acme.example.com', n: 1 });
    expect(JSON.parse(redactEmails(json))).toEqual({ email: '[e-mail hidden]', n: 1 });
  });

  // A worst case for the old regular expression (minutes); vitest's test timeout is the guard.
  it('prints a 1 MB field at once, its addresses hidden', () => {
    const filler = 'a.'.repeat(256 * 1024);
    const text = `${filler} ops@globex.example ${filler}`;

    expect(redactEmails(text)).toBe(`${filler} [e-mail hidden] ${filler}`);
  });

  it('leaves ARNs and plain text alone', () => {
    const arn = 'arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:onboarding-1';
    expect(redactEmails(arn)).toBe(arn);
  });
});

describe('truncate and arnTail', () => {
  it('cuts long text with an ellipsis', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
  });

  it('keeps the last part of an ARN', () => {
    expect(arnTail('arn:aws:states:us-east-1:111122223333:execution:tenant-onboarding:onboarding-7')).toBe(
      'onboarding-7',
    );
    expect(
      arnTail('arn:aws:elasticloadbalancing:us-east-1:111122223333:listener-rule/app/tenants/50dc/f2f7/9a8b'),
    ).toBe('9a8b');
  });
});

describe('visibleText and isBlank', () => {
  it('shows control characters and escape sequences as escapes, so a name cannot drive the terminal', () => {
    expect(visibleText('acme\u001b[2J')).toBe('acme\\x1b[2J');
    expect(visibleText('line\nbreak\ttab\rreturn')).toBe('line\\nbreak\\ttab\\rreturn');
    expect(visibleText('bell\u0007 del\u007f csi\u009b')).toBe('bell\\x07 del\\x7f csi\\x9b');
  });

  it('shows invisible formatting characters, so a name cannot disguise itself', () => {
    expect(visibleText('evil\u202etxt.exe')).toBe('evil\\u202etxt.exe');
    expect(visibleText('zero\u200bwidth')).toBe('zero\\u200bwidth');
  });

  it('leaves ordinary names alone and doubles a backslash, so an escape cannot be forged', () => {
    expect(visibleText('Ünïcode ACME 株式会社')).toBe('Ünïcode ACME 株式会社');
    expect(visibleText('a\\x1b')).toBe('a\\\\x1b');
  });

  it('calls text with nothing visible blank', () => {
    expect(isBlank('')).toBe(true);
    expect(isBlank(' \t\n ')).toBe(true);
    expect(isBlank(' a ')).toBe(false);
  });
});
