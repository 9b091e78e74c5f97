import {createInterface} from 'node:readline/promises';
import {checkedDuration, type Config} from '../config/config.js';
import {durationRanges} from '../config/duration.js';
import {formatDuration} from '../model/format.js';
import type {KubeadmDetection} from '../config/kubeadm.js';
import {ConfigError} from '../config/errors.js';
import {CredentialsRefusedError} from '../etcd/errors.js';
import {etcdctlConnectionOf} from '../config/printed-client.js';
import {exitCodes} from '../output/exit-code.js';
import {isInputProblem, parseMemberUrls} from '../ops/member-urls.js';
import type {Effect, OperationKind, OperationPlan, OperationState} from '../ops/member-workflow.js';
import {catchUpText, startSettingsLines} from '../ops/member-settings.js';
import {isTypedMatch} from '../model/typed-confirmation.js';
import type {Via} from './via.js';
import {visibleLine} from '../model/visible-text.js';
import {openCommandLog, resolvedConfig, withVia, type CommandContext} from './context.js';
import {memberOpsBackend, settingsContextOf} from '../console/member-ops.js';

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

/** The --via host: member clients dial through its tunnels, start commands reach hosts through it. */
export type MemberVia = Pick<Via, 'routes' | 'connection'>;

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
export function parseMemberCommand(args: readonly string[], flags: MemberFlags, config: Pick<Config, 'endpoints' | 'tls' | 'auth'>): OperationPlan {
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
		connection: etcdctlConnectionOf(config),
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

/** Prints what changed between two states: new notes, start settings once, catch-up progress at most once a second. */
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
	const report = reporter(io, config.kubeadm);
	const logFile = openCommandLog(flags.commandLog, io.err);
	try {
		const backend = memberOpsBackend(config, {waitTimeoutMs: plan.waitTimeoutMs, ...(via ? {via} : {}), logFile});
		const final = await backend.run(plan, {confirm: async effect => askTyped(effect, io), onState: report, onLog: entry => io.out(`  $ ${entry.command}  # ${entry.result}`)});
		const outcome = final.outcome;
		if (!outcome) return exitCodes.critical;
		switch (outcome.type) {
			case 'done':
				return exitCodes.ok;
			case 'refused':
				if (outcome.problem) throw new ConfigError(outcome.problem.input, outcome.problem.problem, outcome.problem.fix);
				if (outcome.credentials) throw new CredentialsRefusedError({kind: outcome.credentials, message: outcome.message});
				io.err(`etcdtop: refused: ${outcome.message}`);
				return exitCodes.critical;
			case 'cancelled':
				return exitCodes.warning;
			default:
				io.err(`etcdtop: ${outcome.message}`);
				return exitCodes.critical;
		}
	} finally {
		logFile.close();
	}
}

/** `etcdtop member ACTION …`: every usage check (exit 3) runs before an SSH connection is opened. */
export async function memberCli(action: OperationKind, {args, flags, io}: CommandContext): Promise<number> {
	const config = await resolvedConfig(flags, io);
	const argv = [action, ...args];
	checkMemberCommand(config, argv, flags);
	return withVia(config, io, async via => memberCommand(config, argv, flags, io, via));
}
