/** Milliseconds since the epoch, as `Date.now`. Injected so tests move time by hand. */
export type Clock = () => number;

/** The real clock. */
export const systemClock: Clock = () => Date.now();
