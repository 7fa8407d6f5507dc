/** Milliseconds since the epoch; one seam for every time the module reads. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
