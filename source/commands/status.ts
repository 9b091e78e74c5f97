import type {Config} from '../config/config.js';
import {connectOptionsOf} from '../config/connect-options.js';
import {resolvedConfig, withVia, type CommandContext} from './context.js';
import {exitCodeFor} from '../output/exit-code.js';
import {statusJson} from '../output/status-json.js';
import {statusSimple, statusTable} from '../output/status-text.js';
import {writeErr, writeOut} from '../output/terminal.js';
import {parseWriteFormat, writeFormats, type WriteFormat} from '../config/write-format.js';
import {metricsPlan} from '../poller/metrics-plan.js';
import {Poller, type PollerOptions} from '../poller/poller.js';
import {createRoutes} from '../route/routes.js';

export type StatusFormat = WriteFormat;

export function parseStatusFormat(value: string | undefined): StatusFormat {
	return parseWriteFormat(value, writeFormats, 'status');
}

/** One round of probes, printed once; the exit code says how healthy the cluster is. */
export async function runStatus(
	config: Config,
	format: StatusFormat,
	write: (text: string) => void = writeOut,
	pollerOptions: Partial<PollerOptions> = {},
	writeError: (text: string) => void = writeErr,
): Promise<number> {
	const metrics = metricsPlan(config, 'status');
	const poller = new Poller(config, {...(metrics ? {metrics} : {}), ...pollerOptions, routes: pollerOptions.routes ?? createRoutes(connectOptionsOf(config))});
	poller.start();
	try {
		const {view} = await poller.settled();
		if (format === 'json') write(JSON.stringify(statusJson(view), null, 2) + '\n');
		else if (format === 'simple') write(statusSimple(view));
		else write(statusTable(view));
		// The report went to stdout as data; why it could not be judged also goes to stderr, for whoever reads the exit code.
		if (view.health === 'permission-denied' || view.health === 'auth-failed') writeError(`etcdtop: ${view.reasons[0] ?? view.health}\n`);
		return exitCodeFor(view.health);
	} finally {
		poller.stop();
	}
}

/** `etcdtop status`: flags -> Config -> one round over --via or direct -> the health's exit code. */
export async function statusCommand({flags, io}: CommandContext): Promise<number> {
	const format = parseStatusFormat(flags.writeOut);
	const config = await resolvedConfig(flags, io);
	return withVia(config, io, async via => runStatus(config, format, undefined, via ? {routes: via.routes} : {}));
}
