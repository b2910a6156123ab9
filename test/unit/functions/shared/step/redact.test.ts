import { describe, expect, it } from 'vitest';
import { redactEmails } from '../../../../../functions/shared/step/redact.ts';

/**
 * The regular expression the scanner replaces. It is the reference for what counts as an address,
 * and fine on short texts; on long ones it is quadratic (the reason for the scanner).
 */
const referencePattern = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*/g;

/** The reference's answer: every match replaced, unless its last label is all digits (a version, not a domain). */
function reference(text: string): string {
  return text.replace(referencePattern, (match) => (/[.@][0-9]+$/.test(match) ? match : '[redacted]'));
}

/** A deterministic pseudo-random generator (mulberry32), so a failure can be reproduced. */
function randomSource(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const megabyte = 1024 * 1024;

describe('redactEmails', () => {
  it('replaces every address and keeps the rest', () => {
    const text = 'Tenant admin@acme.example (or First.Last+ops@mail.acme.co.uk) is not allowed.';

    expect(redactEmails(text)).toBe('Tenant [redacted] (or [redacted]) is not allowed.');
  });

  it('uses the replacement it is given', () => {
    expect(redactEmails('ops@globex.example', '[e-mail hidden]')).toBe('[e-mail hidden]');
  });

  it('leaves text without addresses alone', () => {
    for (const text of ['Resource @Service failed at 10:00 in us-east-1.', 'a@', '@b', 'a@.b', '', 'no at sign']) {
      expect(redactEmails(text)).toBe(text);
    }
  });

  it('keeps a model@version key and other numeric last labels, which no address has', () => {
    expect(redactEmails('{"silo-cluster@1.1.0": 2, "silo-services@10.0.12": 1}')).toBe(
      '{"silo-cluster@1.1.0": 2, "silo-services@10.0.12": 1}',
    );
    expect(redactEmails('build@2026 ops@acme.example x@1a.io')).toBe('build@2026 [redacted] [redacted]');
    expect(redactEmails('a@1@b.com')).toBe('a@1@b.com');
  });

  it('keeps a trailing dot, stops at the previous address, and keeps JSON valid', () => {
    expect(redactEmails('write to a@b.com.')).toBe('write to [redacted].');
    expect(redactEmails('a@b@c')).toBe('[redacted]@c');
    expect(JSON.parse(redactEmails(JSON.stringify({ email: 'admin@acme.example.com', n: 1 })))).toEqual({
      email: '[redacted]',
      n: 1,
    });
  });

  it('agrees with the regular expression on many random short texts', () => {
    const alphabet = 'aZ9.-_+%@@ .\n"é1';
    const random = randomSource(20261120);
    for (let sample = 0; sample < 5000; sample += 1) {
      const length = Math.floor(random() * 24);
      let text = '';
      for (let i = 0; i < length; i += 1) text += alphabet[Math.floor(random() * alphabet.length)];

      expect(redactEmails(text), JSON.stringify(text)).toBe(reference(text));
    }
  });
});

// Worst cases for the old regular expressions (each took minutes on 1 MB). No time is asserted:
// vitest's test timeout is the guard, and the scanner finishes these in milliseconds.
describe('redactEmails on a 1 MB field', () => {
  it('leaves 1 MB of letters without an @ alone', () => {
    const text = 'a'.repeat(megabyte);

    expect(redactEmails(text)).toBe(text);
  });

  it('leaves 1 MB of dotted letters without an @ alone', () => {
    const text = 'a.'.repeat(megabyte / 2);

    expect(redactEmails(text)).toBe(text);
  });

  it('leaves 1 MB of letters ending in an @ with no domain alone', () => {
    const text = `${'a'.repeat(megabyte - 1)}@`;

    expect(redactEmails(text)).toBe(text);
  });

  it('replaces an address whose domain is 1 MB of dotted labels', () => {
    const text = `x@${'a.'.repeat(megabyte / 2)}`;

    expect(redactEmails(text)).toBe('[redacted].');
  });

  it('replaces each of 1 MB of addresses', () => {
    const text = 'aaaa@aaaa.bb '.repeat(Math.floor(megabyte / 13));

    expect(redactEmails(text)).toBe('[redacted] '.repeat(Math.floor(megabyte / 13)));
  });

  it('replaces the one address inside 1 MB of text', () => {
    const filler = 'a.'.repeat(megabyte / 4);

    expect(redactEmails(`${filler} admin@acme.example ${filler}`)).toBe(`${filler} [redacted] ${filler}`);
  });
});
