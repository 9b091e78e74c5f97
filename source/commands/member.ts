import {createInterface} from 'node:readline/promises';
import {buildSshSettings, checkedDuration, type Config} from '../config/config.js';
import {durationRanges} from '../config/duration.js';
import {formatDuration} from '../model/format.js';
import type {KubeadmDetection} from '../config/kubeadm.js';
import {connectOptionsOf} from '../config/connect-options.js';
import {ConfigError} from '../config/errors.js';
import {exitCodes} from '../output/exit-code.js';
import {isInputProblem, parseMemberUrls} from '../ops/member-urls.js';
import {initialState, type Effect, type OperationKind, type OperationPlan, type OperationState} from '../ops/member-workflow.js';
import {runOperation, type CommandLogEntry} from '../ops/member-run.js';
import {catchUpText, copyableFeed, startSettingsLines, type SettingsContext} from '../ops/member-settings.js';
import {printedYamlScalar} from '../ops/commands.js';
import {isTypedMatch} from '../model/typed-confirmation.js';
import type {Via} from './via.js';
import {visibleLine} from '../model/visible-text.js';
import {resolvedConfig, withVia, type CommandContext} from './context.js';
import {CommandLogFileError, openCommandLogFile} from '../output/command-log-file.js';

export interface MemberFlags {
	readonly newName?: string;
	readonly newPeerUrl?: string;
	readonly newClientUrl?: string;
	readonly peerUrl?: string;
	readonly clientUrl?: string;
	/** undefined: the default for the action (replace: learner; add: voter). */
	readonly learner?: boolean;
	readonly startCommand?: string;
	readonly yes?: boolean;
	readonly waitTimeout?: string;
	readonly commandLog?: string;
}

export interface MemberIo {
	readonly out: (text: string) => void;
	readonly err: (text: string) => void;
}

/** --ssh-host, --ssh-identity, --ssh-known-hosts as buildConfig validated them (a bad value is exit 3 there). */
function sshOf(config: Config) {
	return config.ssh ?? buildSshSettings({});
}

/** The --via host: member clients dial through its tunnels, start commands reach hosts through it. */
export type MemberVia = Pick<Via, 'routes' | 'connection'>;

function viaOptions(via: MemberVia | undefined) {
	return via ? {routes: via.routes, via: via.connection} : {};
}

const usage = 'use: etcdtop member replace FAILED --new-name NAME --new-peer-url URL | member add NAME --peer-url URL | member remove|promote|move-leader NAME|ID';
const actions: readonly OperationKind[] = ['replace', 'add', 'remove', 'promote', 'move-leader'];

function urls(value: string | undefined, input: string, isRequired: boolean): readonly string[] {
	if (value === undefined) {
		if (isRequired) throw new ConfigError(input, 'is required', `e.g. ${input} https://10.0.0.4:2380`);
		return [];
	}
	const parsed = parseMemberUrls(value, input);
	if (isInputProblem(parsed)) throw new ConfigError(parsed.input, parsed.problem, parsed.fix);
	return parsed;
}

/** argv + flags -> plan; every bad input is a ConfigError naming the flag (which flags a member command takes is commands/table.ts's). */
export function parseMemberCommand(args: readonly string[], flags: MemberFlags, config: Pick<Config, 'endpoints' | 'auth'>): OperationPlan {
	const [action, target, ...extra] = args;
	if (action === undefined) throw new ConfigError('member', 'an action is needed', usage);
	if (!actions.includes(action as OperationKind)) throw new ConfigError('member', `unknown action "${action}"`, usage);
	const kind = action as OperationKind;
	if (target === undefined || target === '') throw new ConfigError(`member ${kind}`, kind === 'replace' ? 'the FAILED member is missing' : kind === 'add' ? 'the new member NAME is missing' : 'NAME|ID is missing', usage);
	if (extra.length > 0) throw new ConfigError(`member ${kind}`, `unexpected argument "${extra[0]}"`, usage);
	const waitText = flags.waitTimeout ?? '5m';
	const waitTimeoutMs = checkedDuration(waitText, '--wait-timeout', durationRanges.waitTimeout);
	if (flags.startCommand !== undefined && flags.startCommand.trim() === '') throw new ConfigError('--start-command', 'is empty', 'give the command that starts etcd on the new host, e.g. "systemctl start etcd"');
	const common = {
		isPreConfirmed: flags.yes ?? false,
		waitTimeoutMs,
		// etcd answers "not in sync" or "unhealthy cluster" at once; about one try per half second over the wait bound.
		maxPromoteAttempts: Math.max(5, Math.ceil(waitTimeoutMs / 500)),
		connection: {endpoints: config.endpoints, ...(config.auth ? {user: config.auth.username} : {})},
		...(flags.startCommand === undefined ? {} : {startCommand: flags.startCommand}),
	};
	switch (kind) {
		case 'replace':
			if (flags.newName === undefined) throw new ConfigError('--new-name', 'is required', 'name the replacement member, e.g. --new-name etcd-4');
			return {
				kind,
				target,
				newName: flags.newName,
				newPeerUrls: urls(flags.newPeerUrl, '--new-peer-url', true),
				newClientUrls: urls(flags.newClientUrl, '--new-client-url', false),
				isLearner: flags.learner ?? true,
				inputs: {target: 'FAILED', name: '--new-name', peer: '--new-peer-url', client: '--new-client-url'},
				...common,
			};
		case 'add':
			return {
				kind,
				newName: target,
				newPeerUrls: urls(flags.peerUrl, '--peer-url', true),
				newClientUrls: urls(flags.clientUrl, '--client-url', false),
				isLearner: flags.learner ?? false,
				inputs: {name: 'member add NAME', peer: '--peer-url', client: '--client-url'},
				...common,
			};
		default:
			return {kind, target, newPeerUrls: [], newClientUrls: [], isLearner: false, inputs: {target: `member ${kind} NAME|ID`}, ...common};
	}
}

async function askTyped(effect: Extract<Effect, {type: 'confirm'}>, io: MemberIo): Promise<boolean> {
	for (const line of effect.summary) io.out(line);
	const prompt = createInterface({input: process.stdin, output: process.stderr});
	try {
		// A name with control bytes is shown, and may be typed, as its visible escapes.
		const shown = visibleLine(effect.expected);
		const answer = await prompt.question(`Type the member name "${shown}" to ${effect.verb} (anything else cancels): `);
		return isTypedMatch(answer.trim(), effect.expected);
	} finally {
		prompt.close();
	}
}

/** --command-log FILE, opened before anything changes: a file it cannot safely write is a usage error. */
function commandLogFileOf(path: string | undefined, warn: (text: string) => void) {
	try {
		return openCommandLogFile(path, warn);
	} catch (error) {
		if (error instanceof CommandLogFileError) throw new ConfigError('--command-log', error.message, 'e.g. --command-log /var/log/etcdtop-changes.log');
		throw error;
	}
}

/** Prints what changed between two states: new notes, start settings once, catch-up progress at most once a second. */
/**
 * The node's own lines for the new member's static pod, when kubeadm's manifest was read: the data dir and
 * the TLS files as that node names them, instead of leaving them for the operator to copy.
 */
export function kubeadmPodLines(kubeadm: KubeadmDetection | undefined): readonly string[] {
	if (kubeadm?.source !== 'etcd-pod') return [];
	const flags: Array<readonly [string, string | undefined]> = [
		['data-dir', kubeadm.dataDir],
		['cert-file', kubeadm.serverCertFile],
		['key-file', kubeadm.serverKeyFile],
		['peer-cert-file', kubeadm.peerCertFile],
		['peer-key-file', kubeadm.peerKeyFile],
		['trusted-ca-file', kubeadm.trustedCaFile],
	];
	return flags.filter((flag): flag is readonly [string, string] => flag[1] !== undefined).map(([name, value]) => `    - ${printedYamlScalar(`--${name}=${value}`)}`);
}

/** This node's data dir and TLS files for the new member's lines, when kubeadm's manifest was read. */
export function settingsContextOf(kubeadm: KubeadmDetection | undefined): SettingsContext {
	// On the host the data dir is the hostPath behind the pod's --data-dir (kubeadm: the same /var/lib/etcd).
	const dataDir = kubeadm?.dataVolume?.hostDataDir ?? kubeadm?.dataDir;
	return {...(dataDir === undefined ? {} : {dataDir}), podLines: kubeadmPodLines(kubeadm)};
}

function reporter(io: MemberIo, kubeadm?: KubeadmDetection) {
	let printedNotes = 0;
	let hasPrintedSettings = false;
	let lastCatchUp = 0;
	return (state: OperationState) => {
		// A refusal is said once, on stderr, by the command itself (as a usage error when it names an input).
		const isRefused = state.outcome?.type === 'refused';
		for (const line of state.notes.slice(printedNotes)) if (!(isRefused && line.startsWith('refused: '))) io.out(line);
		printedNotes = state.notes.length;
		if (state.settings && !hasPrintedSettings && !state.outcome?.type.startsWith('refused')) {
			hasPrintedSettings = true;
			for (const line of startSettingsLines(state.settings, {hasStartCommand: state.plan.startCommand !== undefined, context: settingsContextOf(kubeadm)})) io.out(line);
			if (!state.plan.startCommand && !state.outcome) io.out(`waiting up to ${formatDuration(state.plan.waitTimeoutMs)} for it to start…`);
		}
		if (state.catchUp && state.step === 'catch-up' && Date.now() - lastCatchUp >= 1000) {
			lastCatchUp = Date.now();
			io.out(catchUpText(state.catchUp));
		}
	};
}

/** Every usage check of a member command (exit 3), before anything connects: also run ahead of --via. */
export function checkMemberCommand(config: Config, args: readonly string[], flags: MemberFlags): OperationPlan {
	const plan = parseMemberCommand(args, flags, config);
	if (config.isReadOnly) throw new ConfigError('--read-only', `member ${plan.kind} changes the cluster`, 'drop --read-only to change members');
	if (!plan.isPreConfirmed && (plan.kind === 'replace' || plan.kind === 'remove') && !process.stdin.isTTY) {
		throw new ConfigError('--yes', `member ${plan.kind} removes a member and there is no terminal to type its name`, 'run it in a terminal, or add --yes');
	}
	return plan;
}

export async function memberCommand(config: Config, args: readonly string[], flags: MemberFlags, io: MemberIo, via?: MemberVia): Promise<number> {
	const plan = checkMemberCommand(config, args, flags);
	const connect = connectOptionsOf(config);
	const report = reporter(io, config.kubeadm);
	const logFile = commandLogFileOf(flags.commandLog, io.err);
	const copyToLog = copyableFeed(settingsContextOf(config.kubeadm), logFile.copyable);
	// Loaded here, not at the top: the console imports this module for its wizard and should not pay for ssh2 at start-up.
	const {liveOperationIo} = await import('../ops/live-io.js');
	const live = liveOperationIo(
		{endpoints: config.endpoints, connect, probeTimeoutMs: config.probeTimeoutMs, ssh: sshOf(config), sshTimeoutMs: Math.min(plan.waitTimeoutMs, 120_000), ...viaOptions(via), onRemoteOutput: logFile.remote},
		{
			confirm: async effect => askTyped(effect, io),
			log: entry => {
				io.out(`  $ ${entry.command}  # ${entry.result}`);
				logFile.change(entry);
			},
			onState: state => {
				report(state);
				copyToLog(state);
			},
		},
	);
	try {
		const final = await runOperation(initialState(plan), live);
		const outcome = final.outcome;
		if (!outcome) return exitCodes.critical;
		switch (outcome.type) {
			case 'done':
				return exitCodes.ok;
			case 'refused':
				if (outcome.problem) throw new ConfigError(outcome.problem.input, outcome.problem.problem, outcome.problem.fix);
				io.err(`etcdtop: refused: ${outcome.message}`);
				return exitCodes.critical;
			case 'cancelled':
				return exitCodes.warning;
			default:
				io.err(`etcdtop: ${outcome.message}`);
				return exitCodes.critical;
		}
	} finally {
		live.close();
	}
}

/** The console's member wizard backend: same io as the commands, SSH flags and command log file included. */
/** Where the console's member changes are logged as they happen (its log pane). */
export interface ConsoleLogSink {
	append(line: {readonly at: number; readonly severity: 'info' | 'warn' | 'error'; readonly text: string; readonly isWhole?: boolean}): void;
}

export async function consoleMemberOps(config: Config, flags: MemberFlags, via?: MemberVia, log?: ConsoleLogSink) {
	const {liveMemberOps} = await import('../ui/member-ops.js');
	const waitText = flags.waitTimeout ?? '5m';
	const waitTimeoutMs = checkedDuration(waitText, '--wait-timeout', durationRanges.waitTimeout);
	const connect = connectOptionsOf(config);
	const logFile = commandLogFileOf(flags.commandLog, text => log?.append({at: Date.now(), severity: 'warn', text}));
	return liveMemberOps({
		endpoints: config.endpoints,
		connect,
		probeTimeoutMs: config.probeTimeoutMs,
		ssh: sshOf(config),
		sshTimeoutMs: Math.min(waitTimeoutMs, 120_000),
		...viaOptions(via),
		connection: {endpoints: config.endpoints, ...(config.auth ? {user: config.auth.username} : {})},
		waitTimeoutMs,
		settingsContext: settingsContextOf(config.kubeadm),
		onCopyable: (lines: readonly string[]) => {
			const at = Date.now();
			for (const line of lines) log?.append({at, severity: 'info', text: `settings: ${line}`, isWhole: true});
			logFile.copyable(lines);
		},
		onLogLine: (entry: CommandLogEntry) => {
			log?.append({at: entry.at, severity: 'info', text: `${entry.step}: $ ${entry.command}  # ${entry.result}`});
			logFile.change(entry);
		},
		onRemoteOutput: (line: string) => {
			log?.append({at: Date.now(), severity: 'info', text: `  ${line}`});
			logFile.remote(line);
		},
	});
}

/** `etcdtop member ACTION …`: every usage check (exit 3) runs before an SSH connection is opened. */
export async function memberCli(action: OperationKind, {args, flags, io}: CommandContext): Promise<number> {
	const config = await resolvedConfig(flags, io);
	const argv = [action, ...args];
	checkMemberCommand(config, argv, flags);
	return withVia(config, io, async via => memberCommand(config, argv, flags, io, via));
}
