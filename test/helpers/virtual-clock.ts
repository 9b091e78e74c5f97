import type {Timers} from '../../source/poller/timers.js';

interface Timer {
	readonly at: number;
	readonly order: number;
	readonly callback: () => void;
	isCancelled: boolean;
}

/** Lets every promise that can settle now settle (microtasks, then one turn of the event loop). */
export async function settle(): Promise<void> {
	for (let turn = 0; turn < 3; turn++) await new Promise(resolve => setImmediate(resolve));
}

/**
 * A virtual clock for unit tests: time moves only in `advance`, which runs each due timer in order and
 * lets promises settle after each, so intervals and deadlines are exact and no test sleeps.
 */
export class VirtualClock implements Timers {
	private time = 0;
	private order = 0;
	private readonly timers: Timer[] = [];

	readonly monotonic = (): number => this.time;
	/** Wall-clock time: a fixed epoch plus the virtual time. */
	readonly wall = (): number => 1_767_225_600_000 + this.time;

	readonly setTimeout = (callback: () => void, ms: number): unknown => {
		const timer: Timer = {at: this.time + Math.max(0, ms), order: this.order++, callback, isCancelled: false};
		this.timers.push(timer);
		return timer;
	};

	readonly clearTimeout = (handle: unknown): void => {
		if (handle) (handle as Timer).isCancelled = true;
	};

	/** A promise that resolves once virtual time has moved on by `ms`. */
	async sleep(ms: number): Promise<void> {
		return new Promise(resolve => this.setTimeout(resolve, ms));
	}

	/** Moves time on by `ms`, running every timer due by then in order. */
	async advance(ms: number): Promise<void> {
		const end = this.time + ms;
		for (;;) {
			await settle();
			const due = this.timers.filter(timer => !timer.isCancelled && timer.at <= end).sort((a, b) => a.at - b.at || a.order - b.order)[0];
			if (!due) break;
			this.timers.splice(this.timers.indexOf(due), 1);
			this.time = due.at;
			due.callback();
		}
		this.time = end;
		await settle();
	}

	/** Advances in `stepMs` steps until `isDone()` holds, failing after `limitMs` of virtual time. */
	async advanceUntil(what: string, isDone: () => boolean, limitMs: number, stepMs = 1): Promise<number> {
		const started = this.time;
		while (!isDone()) {
			if (this.time - started > limitMs) throw new Error(`${what}: not after ${limitMs} ms of virtual time`);
			await this.advance(stepMs);
		}
		return this.time - started;
	}
}
