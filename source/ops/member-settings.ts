import {isShownEscaped} from '../model/visible-text.js';
import {quotePrintedArg, quotePrintedArgv} from '../ssh/quote.js';
import type {StartSettings} from './commands.js';
import type {CatchUp, OperationState} from './member-workflow.js';

/** What this node's kubeadm manifest says, so the new member's lines name the same data dir and TLS files. */
export interface SettingsContext {
	readonly dataDir?: string;
	/** `    - --cert-file=…` lines for a static pod, read from this node's manifest. */
	readonly podLines?: readonly string[];
}

/**
 * The new member's start settings as the operator copies them, in every form: environment (what
 * `etcdctl member add` prints, what --start-command gets) with the URL flags, etcd flags, and the lines of
 * a kubeadm static pod. One text for `etcdtop member …`, the console's wizard, its log pane, --command-log
 * and the file the wizard writes: a value is never shortened here; the screen wraps it whole.
 */
export function startSettingsLines(settings: StartSettings, {hasStartCommand, context = {}}: {readonly hasStartCommand: boolean; readonly context?: SettingsContext}): readonly string[] {
	// The node's own data dir when its kubeadm manifest was read (the new node is laid out alike), else a
	// placeholder named for what it stands for; the same in every form.
	const dataDir = context.dataDir ?? emptyDataDirPlaceholder;
	const lines = ['Start the new member with these settings (data dir empty):'];
	lines.push(`  as environment (the variables etcdctl prints for a new member${hasStartCommand ? '; --start-command gets these' : ''}), plus the URL flags and the data dir:`);
	for (const [name, value] of Object.entries(settings.env)) lines.push(`    export ${name}=${quotePrintedArg(value, isShownEscaped)}`);
	lines.push(`    ${quotePrintedArgv(['etcd', ...settings.urlFlags, `--data-dir=${dataDir}`], isShownEscaped)}`);
	lines.push('  as etcd flags:');
	lines.push(`    ${quotePrintedArgv(['etcd', ...settings.flags, `--data-dir=${dataDir}`], isShownEscaped)}`);
	lines.push('  in a kubeadm static pod (/etc/kubernetes/manifests/etcd.yaml, command:):');
	lines.push(...settings.manifestLines);
	// Read from this node's manifest: the same layout on the new node, its data dir emptied first.
	lines.push(...(context.podLines ?? []));
	if (context.dataDir === undefined) lines.push(`  ${emptyDataDirPlaceholder}: the new member's data dir on its host (no kubeadm manifest said it), a directory that is empty or absent`);
	for (const warning of settings.warnings) lines.push(`  warning: ${warning}`);
	return lines;
}

/** Where the new member's data dir goes when no kubeadm manifest said it: the operator's to fill in. */
export const emptyDataDirPlaceholder = 'EMPTY_DATA_DIR';

/** The kube-apiserver line once the change is done: every member's client URLs. */
export function etcdServersLines(etcdServers: string): readonly string[] {
	return [`kube-apiserver: --etcd-servers=${etcdServers}`, 'if a load balancer fronts etcd, update its backends to the same list'];
}

/** Everything of a change the operator must copy, as it stands: the start settings, then the final --etcd-servers. */
export function copyableLines(state: OperationState, context?: SettingsContext): readonly string[] {
	return [
		...(state.settings ? startSettingsLines(state.settings, {hasStartCommand: state.plan.startCommand !== undefined, ...(context ? {context} : {})}) : []),
		...(state.etcdServers === undefined ? [] : etcdServersLines(state.etcdServers)),
	];
}

/** How far the new member has caught up, in words; "not answered yet" rather than an unknown number. */
export function catchUpText({leaderApplied, memberApplied, lag}: CatchUp): string {
	return memberApplied === undefined
		? `catch-up: the new member has not answered a status yet (the leader has applied ${leaderApplied})`
		: `catch-up: applied ${memberApplied} of leader's ${leaderApplied}${lag === undefined ? '' : ` (lag ${lag})`}`;
}

/**
 * Calls `emit` with the copyable lines that are new since its last call: the start settings once they
 * exist, the --etcd-servers line once the change is done. For the log pane and --command-log.
 */
export function copyableFeed(context: SettingsContext | undefined, emit: (lines: readonly string[]) => void): (state: OperationState) => void {
	let emitted: readonly string[] = [];
	return state => {
		const lines = copyableLines(state, context);
		if (lines.length === 0 || lines.join('\n') === emitted.join('\n')) return;
		const isGrowing = emitted.every((line, index) => lines[index] === line);
		emit(isGrowing ? lines.slice(emitted.length) : lines);
		emitted = lines;
	};
}

/** After this long with nothing listening at the new member's client URL, the wait says so plainly. */
export const silentAfterMs = 30_000;

/**
 * While the new member is awaited: what its client URL answers and for how long, and plainly when nothing
 * has listened there for a while (a start command that failed, an etcd that exited on a bad flag).
 */
export function waitingText(state: OperationState): {readonly text: string; readonly isWorrying: boolean} | undefined {
	if (state.step !== 'start' || state.outcome || state.waitingSince === undefined) return undefined;
	const name = state.plan.newName ?? 'the new member';
	const now = state.observation?.at ?? state.waitingSince;
	const waited = `waiting ${seconds(now - state.waitingSince)} of ${seconds(state.plan.waitTimeoutMs)} for ${name} to start`;
	const probe = state.waitProbe;
	if (state.plan.newClientUrls.length === 0 || !probe) return {text: `${waited} (no client URL given: etcdtop sees it once it joins the member list)`, isWorrying: false};
	if (probe.silentSince !== undefined && probe.at - probe.silentSince >= silentAfterMs) {
		return {
			text: `${waited}: nothing has listened on ${probe.url} for ${seconds(probe.at - probe.silentSince)} (${probe.answer}). ${name} is not running: check that it was started, and its log (etcd exits at once on a bad flag or a non-empty data dir)`,
			isWorrying: true,
		};
	}
	return {text: `${waited}; ${probe.url}: ${probe.answer} (for ${seconds(probe.at - probe.since)})`, isWorrying: false};
}

function seconds(ms: number): string {
	const total = Math.max(0, Math.round(ms / 1000));
	return total < 120 ? `${total}s` : `${Math.floor(total / 60)}m${String(total % 60).padStart(2, '0')}s`;
}
