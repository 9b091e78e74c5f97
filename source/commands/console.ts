import type {Config} from '../config/config.js';
import {Poller} from '../poller/poller.js';

/**
 * Starts polling before the UI modules load: importing Ink and React takes about half a second, during
 * which the first answers arrive, so the first frame already shows the cluster.
 */
export function startConsolePoller(config: Config): Poller {
	// Members probed on the same tick answer within a few milliseconds of each other: one frame for all.
	const poller = new Poller(config, {batchMs: 25});
	poller.start();
	return poller;
}
