import type {Config} from '../config/config.js';
import {connectOptionsOf} from '../config/connect-options.js';
import {metricsPlan} from '../poller/metrics-plan.js';
import {Poller} from '../poller/poller.js';
import {createRoutes, type Routes} from '../route/routes.js';

/**
 * Starts polling before the UI modules load: importing Ink and React takes about half a second, during
 * which the first answers arrive, so the first frame already shows the cluster. Kept apart from root.ts,
 * which loads Ink.
 */
export function startConsolePoller(config: Config, routes: Routes = createRoutes(connectOptionsOf(config))): Poller {
	// Members probed on the same tick answer within a few milliseconds of each other: one frame for all.
	const metrics = metricsPlan(config, 'console');
	const poller = new Poller(config, {routes, batchMs: 25, ...(metrics ? {metrics} : {})});
	poller.start();
	return poller;
}
