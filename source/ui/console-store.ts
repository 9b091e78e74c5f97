import type {PollerSnapshot} from '../poller/poller.js';

/** What the console needs from the poller; tests hand it a fixture store instead of a live poller. */
export interface ConsoleStore {
	subscribe(listener: () => void): () => void;
	getSnapshot(): PollerSnapshot;
	refresh(): void;
	setPaused(isPaused: boolean): void;
	setInterval(ms: number): void;
	/** A member the console added, by the name it was added under (until etcd reports one). */
	nameMember?(id: string, name: string): void;
}
