import {initialState, type Effect, type OperationPlan, type OperationState} from '../ops/member-workflow.js';
import type {LiveIoOptions} from '../ops/live-io.js';
import {runOperation, type CommandLogEntry} from '../ops/member-run.js';
import type {EtcdctlBase} from '../ops/commands.js';
import {copyableFeed, type SettingsContext} from '../ops/member-settings.js';

export interface MemberOpHandlers {
	readonly confirm: (effect: Extract<Effect, {type: 'confirm'}>) => Promise<boolean>;
	readonly onState: (state: OperationState) => void;
	readonly onLog: (entry: CommandLogEntry) => void;
	readonly signal: AbortSignal;
}

/** What the console's member wizard needs: how to run a plan, and the defaults a plan takes. */
export interface MemberOpsBackend {
	readonly connection: EtcdctlBase;
	readonly waitTimeoutMs: number;
	/** This node's kubeadm data dir and TLS files, for the new member's settings. */
	readonly settingsContext?: SettingsContext;
	/** `w` in the wizard: the settings to a new 0600 file; returns its path. Default: output/settings-file.ts. */
	readonly writeSettings?: (lines: readonly string[], memberName: string) => string;
	readonly run: (plan: OperationPlan, handlers: MemberOpHandlers) => Promise<OperationState>;
}

/** The live backend: the same runner and io as `etcdtop member …`, a command log file if asked for. */
export function liveMemberOps(
	options: LiveIoOptions & {
		readonly connection: EtcdctlBase;
		readonly waitTimeoutMs: number;
		readonly settingsContext?: SettingsContext;
		readonly onLogLine?: (entry: CommandLogEntry) => void;
		/** The settings to copy as they appear (log pane, --command-log). */
		readonly onCopyable?: (lines: readonly string[]) => void;
	},
): MemberOpsBackend {
	return {
		connection: options.connection,
		waitTimeoutMs: options.waitTimeoutMs,
		...(options.settingsContext ? {settingsContext: options.settingsContext} : {}),
		run: async (plan, handlers) => {
			const feed = copyableFeed(options.settingsContext, lines => options.onCopyable?.(lines));
			// ssh2 and the member clients load on first use, so the console starts as fast without them.
			const {liveOperationIo} = await import('../ops/live-io.js');
			const io = liveOperationIo(options, {
				confirm: handlers.confirm,
				onState: state => {
					handlers.onState(state);
					feed(state);
				},
				signal: handlers.signal,
				log: entry => {
					handlers.onLog(entry);
					options.onLogLine?.(entry);
				},
			});
			try {
				return await runOperation(initialState(plan), io);
			} finally {
				io.close();
			}
		},
	};
}
