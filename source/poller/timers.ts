/**
 * The clock and timers the poller runs on: the real ones in etcdtop, a virtual clock in unit tests, so
 * the tests step through intervals and deadlines exactly instead of sleeping and measuring.
 */
export interface Timers {
	/** Monotonic milliseconds (performance.now()). */
	readonly monotonic: () => number;
	readonly setTimeout: (callback: () => void, ms: number) => unknown;
	readonly clearTimeout: (handle: unknown) => void;
}

export const realTimers: Timers = {
	monotonic: () => performance.now(),
	setTimeout: (callback, ms) => setTimeout(callback, ms),
	clearTimeout: handle => clearTimeout(handle as NodeJS.Timeout | undefined),
};
