/** One line of the console's log pane: a cluster change, a remote command, or what that command printed. */
export interface LogLine {
	readonly at: number;
	readonly severity: 'info' | 'warn' | 'error';
	readonly text: string;
	/** A value the operator copies (start settings, --etcd-servers): wrapped whole, never cut. */
	readonly isWhole?: boolean;
}

export const commandLogLength = 500;

/**
 * The console's command log: every change etcdtop makes and every remote command, with its etcdctl
 * equivalent, and remote output as it streams in. Member changes write to it; the log pane (3) reads it
 * with useSyncExternalStore, next to the cluster's own events.
 */
export class CommandLog {
	private lines: readonly LogLine[] = Object.freeze([]);
	private readonly listeners = new Set<() => void>();

	readonly subscribe = (listener: () => void): (() => void) => {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	};

	readonly getSnapshot = (): readonly LogLine[] => this.lines;

	append(line: LogLine): void {
		const next = [...this.lines, line];
		this.lines = Object.freeze(next.length > commandLogLength ? next.slice(next.length - commandLogLength) : next);
		for (const listener of this.listeners) listener();
	}
}

/** Cluster events and command log lines in time order (each list is already in order). */
export function mergeByTime<T extends {readonly at: number}>(a: readonly T[], b: readonly T[]): T[] {
	const merged: T[] = [];
	let i = 0;
	let j = 0;
	while (i < a.length || j < b.length) {
		if (j >= b.length || (i < a.length && a[i]!.at <= b[j]!.at)) merged.push(a[i++]!);
		else merged.push(b[j++]!);
	}
	return merged;
}
