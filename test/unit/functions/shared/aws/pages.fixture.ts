/**
 * Paged answers for aws-sdk-client-mock that keep each input as it was sent. The SDK's paginators
 * send every page with one input object that they update, so the mock's own record of an earlier
 * page shows the token of the last one.
 */

/** What {@link servePages} gives a test: the answer to install with `callsFake`, and the inputs sent. */
export interface ServedPages<Page> {
  readonly answer: (input: object) => Page;
  /** Each input as sent, in order, without the keys left undefined (the SDK does not send those). */
  readonly sent: Record<string, unknown>[];
}

/** Serves `pages` in turn, the last one again for any further call: `mock.on(Command).callsFake(pages.answer)`. */
export function servePages<Page>(pages: readonly Page[]): ServedPages<Page> {
  const sent: Record<string, unknown>[] = [];
  return {
    sent,
    answer: (input) => {
      sent.push(Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)));
      return pages[Math.min(sent.length, pages.length) - 1]!;
    },
  };
}
