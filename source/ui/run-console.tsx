import {render} from 'ink';
import type {Poller} from '../poller/poller.js';
import {App} from './app.js';
import type {Keymap} from './keymap.js';
import type {SnapshotPaneStore} from '../model/snapshots-pane.js';
import type {MemberOpsBackend} from './member-ops.js';
import type {CommandLog} from './command-log.js';
import type {MaintenanceStore} from './maintenance-store.js';
import {writeErr} from '../output/terminal.js';

const enterAlternateScreen = '\u001B[?1049h\u001B[?25l';
const leaveAlternateScreen = '\u001B[?25h\u001B[?1049l';

/** What the composition root (console/root.ts) built for the console to draw. */
export interface RunConsoleOptions {
	readonly keymap: Keymap;
	readonly isReadOnly: boolean;
	readonly snapshots: SnapshotPaneStore;
	readonly memberOps?: MemberOpsBackend;
	readonly commandLog: CommandLog;
	readonly maintenance?: MaintenanceStore;
	/** Before the screen is left: stops what the composition root started (a save in progress). */
	readonly onStop?: () => Promise<void> | void;
	/** After the screen is left (the demo stops its cluster). */
	readonly onExit?: () => Promise<void> | void;
}

/**
 * The full-screen console. Ink 6 has no alternate-screen option, so it is entered here and left on
 * every way out: quit, ctrl-c, signals, and crashes.
 */
export async function runConsole(poller: Poller, {keymap, isReadOnly, snapshots, memberOps, commandLog, maintenance, onStop, onExit}: RunConsoleOptions): Promise<number> {
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

	const instance = render(<App store={poller} keymap={keymap} isReadOnly={isReadOnly} onQuit={() => finish(0)} snapshots={snapshots} {...(memberOps ? {memberOps} : {})} commandLog={commandLog} {...(maintenance ? {maintenance} : {})} />, {
		exitOnCtrlC: false,
		patchConsole: true,
	});
	try {
		return await finished;
	} finally {
		instance.unmount();
		poller.stop();
		await onStop?.();
		leave();
		for (const signal of signals) process.off(signal, onSignal);
		process.off('uncaughtException', onCrash);
		process.off('unhandledRejection', onCrash);
		await onExit?.();
	}
}
