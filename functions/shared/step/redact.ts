/**
 * E-mail redaction for everything that leaves the product as text: failure reasons sent to the
 * control plane, and every line the command line writes. Admin addresses are personal data, and
 * an error message may quote one.
 *
 * A hand-written scanner rather than a regular expression: the obvious pattern is tried from
 * every start position and rescans the same run of characters each time (quadratic: 1 MB of `a`
 * took minutes). This scanner looks at each character a bounded number of times.
 */

/** Characters of the part before the `@`: `A-Z a-z 0-9 . _ % + -`. */
const localPartCharacter = 1;
/** Characters of one label of the domain: `A-Z a-z 0-9 -`. */
const domainLabelCharacter = 2;

const characterClasses = new Uint8Array(128);
for (let code = 0; code < 128; code += 1) {
  const character = String.fromCharCode(code);
  if (/[A-Za-z0-9-]/.test(character)) characterClasses[code] = localPartCharacter | domainLabelCharacter;
  else if ('._%+'.includes(character)) characterClasses[code] = localPartCharacter;
}

function hasClass(code: number, kind: number): boolean {
  return code < 128 && ((characterClasses[code] ?? 0) & kind) !== 0;
}

const dot = 0x2e;

/**
 * Replaces everything shaped like an e-mail address with `replacement`: one or more of
 * `A-Z a-z 0-9 . _ % + -`, an `@`, then one or more dot-separated labels of `A-Z a-z 0-9 -`
 * (a trailing dot is not part of the address), unless the last label is all digits: no
 * address's top-level domain is numeric (RFC 3696, section 2), while versions and numbers
 * (`silo-cluster@1.1.0`, the fleet's version keys) are. The result is exactly that of replacing
 * each match of the regular expression `[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*`
 * (found left to right, each after the previous one) whose last label is not numeric, but in
 * time linear in the text's length.
 *
 * The default replacement has no quotes or backslashes, so redacted JSON stays valid.
 */
export function redactEmails(text: string, replacement = '[redacted]'): string {
  let atIndex = text.indexOf('@');
  if (atIndex === -1) return text;
  let redacted = '';
  // End of the last address replaced: the next address starts at or after it.
  let copiedUpTo = 0;
  while (atIndex !== -1) {
    // The walk left stops at the previous `@` (not a local-part character) or the last address,
    // and the walk right only over what becomes part of an address: each character is walked
    // over at most once in each direction in the whole scan.
    let start = atIndex;
    while (start > copiedUpTo && hasClass(text.charCodeAt(start - 1), localPartCharacter)) start -= 1;
    let end = atIndex + 1;
    if (start < atIndex) {
      while (end < text.length && hasClass(text.charCodeAt(end), domainLabelCharacter)) end += 1;
    }
    if (end === atIndex + 1) {
      // No local part or no domain: not an address. Nothing was walked rightwards.
      atIndex = text.indexOf('@', atIndex + 1);
      continue;
    }
    while (
      end + 1 < text.length &&
      text.charCodeAt(end) === dot &&
      hasClass(text.charCodeAt(end + 1), domainLabelCharacter)
    ) {
      end += 2;
      while (end < text.length && hasClass(text.charCodeAt(end), domainLabelCharacter)) end += 1;
    }
    // A numeric last label is a version or a number, not a domain (`silo-cluster@1.1.0`): kept as it is.
    redacted +=
      text.slice(copiedUpTo, start) +
      (lastLabelIsNumeric(text, atIndex + 1, end) ? text.slice(start, end) : replacement);
    copiedUpTo = end;
    atIndex = text.indexOf('@', end);
  }
  return redacted + text.slice(copiedUpTo);
}

/** True when the last dot-separated label of `text[from, to)` is all digits. Walks that label only. */
function lastLabelIsNumeric(text: string, from: number, to: number): boolean {
  for (let index = to - 1; index >= from; index -= 1) {
    const code = text.charCodeAt(index);
    if (code === dot) return index < to - 1;
    if (code < 0x30 || code > 0x39) return false;
  }
  return true;
}
