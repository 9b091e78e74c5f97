import {Box, useInput, useStdin} from 'ink';
import {Text} from './text.js';
import {useEffect, useRef, useState} from 'react';
import type {MemberView} from '../../model/cluster-view.js';
import {describeNumbers} from '../../ops/quorum-guard.js';
import {isInputProblem, parseMemberUrls} from '../../ops/member-urls.js';
import type {Effect, OperationKind, OperationPlan, OperationState, Step} from '../../ops/member-workflow.js';
import type {CommandLogEntry} from '../../ops/runner.js';
import {findAction, hintLine, type Keymap, type MemberActionId, type Scope, type WizardContext} from '../keymap.js';
import {splitKeys} from '../keys.js';
import {confirmInputOf, TypedConfirmationView} from './typed-confirmation.js';
import {reduceTyped, startTyped, type TypedConfirmation} from '../../model/typed-confirmation.js';
import type {MemberOpsBackend} from '../member-ops.js';
import {color} from '../theme.js';

interface Field {
	readonly id: 'name' | 'peer' | 'client' | 'start';
	readonly label: string;
	readonly isOptional: boolean;
	readonly example: string;
}

const formFields: readonly Field[] = [
	{id: 'name', label: 'new member name', isOptional: false, example: 'etcd-4'},
	{id: 'peer', label: 'peer URL', isOptional: false, example: 'https://10.0.0.4:2380'},
	{id: 'client', label: 'client URL (optional)', isOptional: true, example: 'https://10.0.0.4:2379'},
	{id: 'start', label: 'start command run over SSH on its host (optional; empty: you start it)', isOptional: true, example: 'systemctl start etcd'},
];

const titles: Readonly<Record<MemberActionId, string>> = {
	'replace-member': 'Replace member',
	'add-member': 'Add member',
	'remove-member': 'Remove member',
	'move-leader': 'Move leadership to',
};

/** Keyed by every member action: a new action without its kind of change does not compile. */
const kinds: Readonly<Record<MemberActionId, OperationKind>> = {
	'replace-member': 'replace',
	'add-member': 'add',
	'remove-member': 'remove',
	'move-leader': 'move-leader',
};

const stepsFor: Readonly<Record<MemberActionId, readonly Step[]>> = {
	'replace-member': ['assess', 'remove', 'add', 'start', 'catch-up', 'promote', 'verify', 'done'],
	'add-member': ['assess', 'add', 'start', 'verify', 'done'],
	'remove-member': ['assess', 'remove', 'done'],
	'move-leader': ['assess', 'move-leader', 'verify', 'done'],
};

type Phase =
	| {readonly kind: 'form'; readonly index: number; readonly error: string | undefined}
	| {readonly kind: 'running'}
	| {readonly kind: 'confirm'; readonly effect: Extract<Effect, {type: 'confirm'}>; readonly confirmation: TypedConfirmation; readonly resolve: (isYes: boolean) => void}
	| {readonly kind: 'finished'};

export interface MemberWizardProps {
	readonly action: MemberActionId;
	readonly member: MemberView | undefined;
	readonly backend: MemberOpsBackend;
	readonly keymap: Keymap;
	readonly onClose: () => void;
	readonly width: number;
	readonly height: number;
}

/** One screen per step of the same state machine `etcdtop member …` drives; it reads every key while open. */
export function MemberWizard({action, member, backend, keymap, onClose, width, height}: MemberWizardProps) {
	const {isRawModeSupported} = useStdin();
	const needsForm = action === 'replace-member' || action === 'add-member';
	const [phase, setPhaseState] = useState<Phase>(needsForm ? {kind: 'form', index: 0, error: undefined} : {kind: 'running'});
	const [values, setValuesState] = useState<Record<Field['id'], string>>({name: '', peer: '', client: '', start: ''});
	const [state, setState] = useState<OperationState | undefined>(undefined);
	const [log, setLog] = useState<readonly CommandLogEntry[]>([]);
	const abort = useRef(new AbortController());
	// Keys arrive faster than React re-renders (a paste, tmux send-keys): the handler reads and writes these
	// refs at once, and the state only follows for rendering.
	const phaseRef = useRef(phase);
	const valuesRef = useRef(values);
	const setPhase = (next: Phase) => {
		phaseRef.current = next;
		setPhaseState(next);
	};
	const setValues = (update: (all: Record<Field['id'], string>) => Record<Field['id'], string>) => {
		valuesRef.current = update(valuesRef.current);
		setValuesState(valuesRef.current);
	};
	const hasStarted = useRef(false);

	const start = (form: Record<Field['id'], string>) => {
		if (hasStarted.current) return;
		hasStarted.current = true;
		const parse = (text: string) => {
			if (text.trim() === '') return [];
			const urls = parseMemberUrls(text, 'url');
			return isInputProblem(urls) ? [] : urls;
		};
		const kind = kinds[action];
		const plan: OperationPlan = {
			kind,
			...(member?.id ? {target: member.id} : {}),
			...(needsForm ? {newName: form.name.trim()} : {}),
			newPeerUrls: parse(form.peer),
			newClientUrls: parse(form.client),
			isLearner: kind === 'replace',
			...(form.start.trim() === '' ? {} : {startCommand: form.start.trim()}),
			isPreConfirmed: false,
			waitTimeoutMs: backend.waitTimeoutMs,
			maxPromoteAttempts: Math.max(5, Math.ceil(backend.waitTimeoutMs / 500)),
			connection: backend.connection,
			inputs: {target: 'member', name: 'name', peer: 'peer URL', client: 'client URL'},
		};
		setPhase({kind: 'running'});
		void backend
			.run(plan, {
				signal: abort.current.signal,
				confirm: async effect => new Promise<boolean>(resolve => setPhase({kind: 'confirm', effect, confirmation: startTyped(effect.expected), resolve})),
				onState: next => setState(next),
				onLog: entry => setLog(entries => [...entries, entry]),
			})
			.catch(error => setState(current => current && {...current, notes: [...current.notes, `failed: ${error instanceof Error ? error.message : String(error)}`]}))
			.finally(() => setPhase({kind: 'finished'}));
	};

	useEffect(() => {
		if (!needsForm) start(valuesRef.current);
		// The controller of the latest run is the one to abort, whenever the wizard closes.
		// eslint-disable-next-line react-hooks/exhaustive-deps
		return () => abort.current.abort();
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, []);

	const phaseScope: Readonly<Record<Phase['kind'], Scope | undefined>> = {form: 'wizard form', running: 'wizard running', confirm: undefined, finished: 'wizard finished'};
	const ctx: WizardContext = {
		next: () => {
			const current = phaseRef.current;
			if (current.kind !== 'form') return;
			const field = formFields[current.index]!;
			const value = valuesRef.current[field.id].trim();
			if (value === '' && !field.isOptional) return setPhase({...current, error: `${field.label} is required, e.g. ${field.example}`});
			if ((field.id === 'peer' || field.id === 'client') && value !== '') {
				const urls = parseMemberUrls(value, field.label);
				if (isInputProblem(urls)) return setPhase({...current, error: `${urls.problem} (${urls.fix})`});
			}
			if (current.index + 1 < formFields.length) return setPhase({kind: 'form', index: current.index + 1, error: undefined});
			start(valuesRef.current);
		},
		cancel: onClose,
		// Stops before the next step; running the same action again resumes from where the cluster stands.
		stop: () => abort.current.abort(),
		close: onClose,
	};

	useInput(
		(input, key) => {
			for (const press of splitKeys(input, key, 'text')) {
				const current = phaseRef.current;
				if (current.kind === 'confirm') {
					const typedInput = confirmInputOf(keymap, press);
					if (!typedInput) continue;
					const {state: confirmation, outcome} = reduceTyped(current.confirmation, typedInput);
					if (outcome === 'typing') {
						setPhase({...current, confirmation});
						continue;
					}
					setPhase({kind: 'running'});
					current.resolve(outcome === 'confirmed');
					continue;
				}
				const scope = phaseScope[current.kind];
				if (scope === undefined) continue;
				// Text is never a key: a pasted word "enter" is typed, not pressed.
				const found = press.text === '' ? findAction(keymap, 'wizard', press.name, [scope]) : undefined;
				if (found) {
					found.run(ctx);
					continue;
				}
				if (current.kind !== 'form') continue;
				const field = formFields[current.index]!;
				if (press.name === 'backspace') setValues(all => ({...all, [field.id]: all[field.id].slice(0, -1)}));
				else if (press.text !== '') setValues(all => ({...all, [field.id]: all[field.id] + press.text}));
			}
		},
		{isActive: isRawModeSupported === true},
	);

	const title = `${titles[action]}${member ? ` ${member.name || member.id}` : ''}`;
	const steps = stepsFor[action];
	const lines: React.ReactNode[] = [];
	if (phase.kind === 'form') {
		formFields.forEach((field, index) => {
			const isCurrent = index === phase.index;
			lines.push(
				<Text key={field.id} wrap="truncate">
					<Text color={isCurrent ? color('accent') : color('muted')}>{isCurrent ? '> ' : '  '}{field.label}: </Text>
					{values[field.id]}
					{isCurrent ? '_' : ''}
				</Text>,
			);
		});
		if (phase.error) lines.push(<Text key="error" color={color('bad')}>{phase.error}</Text>);
		lines.push(<Text key="keys" color={color('muted')}>{hintLine(keymap, 'wizard form')} · nothing changes until the member list is checked and you confirm</Text>);
	} else {
		const at = state ? steps.indexOf(state.step) : 0;
		lines.push(
			<Text key="steps" wrap="truncate">
				{steps.map((step, index) => (
					<Text key={step} bold={index === at} color={index < at ? color('good') : index === at ? color('accent') : color('muted')}>
						{index > 0 ? ' › ' : ''}
						{step}
					</Text>
				))}
			</Text>,
		);
		if (state?.numbers && phase.kind !== 'confirm') lines.push(<Text key="numbers" wrap="truncate">quorum: {describeNumbers(state.numbers)}</Text>);
		if (state?.catchUp && (state.step === 'catch-up' || state.step === 'promote')) {
			const {leaderApplied, memberApplied, lag} = state.catchUp;
			lines.push(<Text key="catchup">catch-up: applied {memberApplied ?? '?'} of leader's {leaderApplied}{lag === undefined ? '' : ` · lag ${lag}`}</Text>);
		}
		if (phase.kind === 'confirm') {
			lines.push(
				<TypedConfirmationView key="confirm" keymap={keymap} confirmation={phase.confirmation} verb="remove it">
					{phase.effect.summary.map((line, index) => (
						<Text key={`summary-${index}`} wrap="wrap">
							{line}
						</Text>
					))}
				</TypedConfirmationView>,
			);
		}
		if (state?.settings && state.step === 'start') {
			lines.push(<Text key="settings-title" bold>start the new member with (data dir empty):</Text>);
			for (const [name, value] of Object.entries(state.settings.env)) lines.push(<Text key={`env-${name}`} wrap="truncate">  {name}={value}</Text>);
			if (state.settings.urlFlags.length > 0) lines.push(<Text key="url-flags" wrap="wrap">  etcd {state.settings.urlFlags.join(' ')}</Text>);
		}
		// Title, border, log title and key line take six rows; notes get what is left, newest first kept.
		const noteRoom = Math.max(2, height - lines.length - Math.min(log.length, 5) - 6);
		for (const [index, note] of (state?.notes ?? []).slice(-noteRoom).entries()) lines.push(<Text key={`note-${index}`} wrap="truncate" color={note.startsWith('refused') || note.startsWith('failed') ? color('bad') : note.startsWith('done') ? color('good') : undefined}>{note}</Text>);
		if (log.length > 0) {
			lines.push(<Text key="log-title" bold>command log</Text>);
			for (const [index, entry] of log.slice(-5).entries()) lines.push(<Text key={`log-${index}`} wrap="truncate-start" color={color('muted')}>$ {entry.command} # {entry.result}</Text>);
		}
		lines.push(<Text key="keys" color={color('muted')}>{phase.kind === 'finished' ? hintLine(keymap, 'wizard finished') : phase.kind === 'confirm' ? '' : hintLine(keymap, 'wizard running')}</Text>);
	}
	return (
		<Box flexDirection="column" borderStyle="round" paddingX={1} width={width}>
			<Text bold>{title}</Text>
			{lines}
		</Box>
	);
}
