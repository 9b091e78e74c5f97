import {render} from 'ink';
import type {Config} from '../config/config.js';
import type {Poller} from '../poller/poller.js';
import {App} from './app.js';
import {buildKeymap} from './keymap.js';
import {SnapshotStore, type SnapshotStoreOptions} from '../console/snapshot-store.js';
import {defaultSnapshotDir} from '../config/snapshot-options.js';
import type {MemberOpsBackend} from './member-ops.js';
import type {CommandLog} from './command-log.js';
import type {MaintenanceStore} from './maintenance-store.js';
import {writeErr} from '../output/terminal.js';

const enterAlternateScreen = '\u001B[?1049h\u001B[?25l';
const leaveAlternateScreen = '\u001B[?25h\u001B[?1049l';

/**
 * The full-screen console. Ink 6 has no alternate-screen option, so it is entered here and left on
 * every way out: quit, ctrl-c, signals, and crashes.
 */
export async function runConsole(
	config: Config,
	poller: Poller,
	{
		onExit,
		snapshots: snapshotOptions,
		memberOps,
		commandLog,
		maintenance,
	}: {onExit?: () => Promise<void> | void; snapshots?: Omit<SnapshotStoreOptions, 'config'>; memberOps?: MemberOpsBackend; commandLog?: CommandLog; maintenance?: MaintenanceStore} = {},
): Promise<number> {
	const stdout = process.stdout;
	const isTty = stdout.isTTY === true;
	let hasLeft = false;
	let isTerminalGone = false;
	const leave = () => {
		if (hasLeft) return;
		hasLeft = true;
		if (isTty && !isTerminalGone) stdout.write(leaveAlternateScreen);
	};
	if (isTty) stdout.write(enterAlternateScreen);
	process.once('exit', leave);

	let finish: (code: number) => void = () => {};
	const finished = new Promise<number>(resolve => {
		finish = resolve;
	});
	const onSignal = (signal: NodeJS.Signals) => finish(signal === 'SIGINT' ? 130 : 143);
	const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
	for (const signal of signals) process.on(signal, onSignal);
	// A closed terminal (ssh dropped, tmux killed) turns every later write into EIO/EPIPE errors; they
	// must end the console cleanly, not crash it and orphan what it started.
	const onTerminalGone = () => {
		isTerminalGone = true;
		finish(129);
	};
	stdout.on('error', onTerminalGone);
	process.stderr.on('error', () => {});
	const onCrash = (error: unknown) => {
		leave();
		if (!isTerminalGone) writeErr(`etcdtop: ${error instanceof Error ? error.message : String(error)}\n`);
		finish(2);
	};
	process.on('uncaughtException', onCrash);
	process.on('unhandledRejection', onCrash);

	const snapshots = new SnapshotStore({
		config,
		...(snapshotOptions ?? {directory: defaultSnapshotDir(), keep: undefined, everyMs: undefined, recipients: [], decryptKeys: {identityFiles: [], passphrase: undefined}}),
	});
	snapshots.start();
	const instance = render(<App store={poller} keymap={buildKeymap({isReadOnly: config.isReadOnly})} isReadOnly={config.isReadOnly} onQuit={() => finish(0)} snapshots={snapshots} {...(memberOps && !config.isReadOnly ? {memberOps} : {})} {...(commandLog ? {commandLog} : {})} {...(maintenance ? {maintenance} : {})} />, {
		exitOnCtrlC: false,
		patchConsole: true,
	});
	try {
		return await finished;
	} finally {
		instance.unmount();
		poller.stop();
		// A save in progress is abandoned, and its FILE.part removed, before the process may exit.
		await snapshots.stop();
		leave();
		for (const signal of signals) process.off(signal, onSignal);
		process.off('uncaughtException', onCrash);
		process.off('unhandledRejection', onCrash);
		await onExit?.();
	}
}
