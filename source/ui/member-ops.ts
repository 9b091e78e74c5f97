import type {Effect, OperationPlan, OperationState} from '../ops/member-workflow.js';
import type {CommandLogEntry} from '../ops/member-run.js';
import type {EtcdctlBase} from '../ops/commands.js';
import type {SettingsContext} from '../ops/member-settings.js';

export interface MemberOpHandlers {
	readonly confirm: (effect: Extract<Effect, {type: 'confirm'}>) => Promise<boolean>;
	readonly onState: (state: OperationState) => void;
	readonly onLog: (entry: CommandLogEntry) => void;
	/** The wizard's cancel; `etcdtop member …` has none. */
	readonly signal?: AbortSignal;
}

/**
 * What the console's member wizard needs: how to run a plan, and the defaults a plan takes. The live one
 * is console/member-ops.ts's, built by the composition root; tests hand the wizard their own.
 */
export interface MemberOpsBackend {
	readonly connection: EtcdctlBase;
	readonly waitTimeoutMs: number;
	/** This node's kubeadm data dir and TLS files, for the new member's settings. */
	readonly settingsContext?: SettingsContext;
	/** `w` in the wizard: the settings to a new 0600 file; returns its path. Default: output/settings-file.ts. */
	readonly writeSettings?: (lines: readonly string[], memberName: string) => string;
	readonly run: (plan: OperationPlan, handlers: MemberOpHandlers) => Promise<OperationState>;
}
