import {Box, useInput, useStdin} from 'ink';
import {Text} from './text.js';
import {useEffect, useRef, useState, useSyncExternalStore} from 'react';
import type {MemberView} from '../../model/cluster-view.js';
import {describeNumbers} from '../../ops/quorum-guard.js';
import {isInputProblem, parseMemberUrls} from '../../ops/member-urls.js';
import {catchUpText, copyableLines, etcdServersLines, waitingText} from '../../ops/member-settings.js';
import type {OperationKind, OperationPlan, Step} from '../../ops/member-workflow.js';
import {actionById, findAction, formatKeys, hintLine, type Keymap, type MemberActionId, type Scope, type WizardContext} from '../keymap.js';
import {splitKeys, type KeyInbox, type KeyPress} from '../keys.js';
import {confirmInputOf, TypedConfirmationView} from './typed-confirmation.js';
import type {MemberOpSession, SessionPhase} from '../member-op-session.js';
import {color} from '../theme.js';
import {hardWrap} from '../hard-wrap.js';

interface Field {
	readonly id: 'name' | 'peer' | 'client' | 'start' | 'role';
	readonly label: string;
	readonly isOptional: boolean;
	readonly example: string;
}

const formFields: readonly Field[] = [
	{id: 'name', label: 'new member name', isOptional: false, example: 'etcd-4'},
	{id: 'peer', label: 'peer URL', isOptional: false, example: 'https://10.0.0.4:2380'},
	{id: 'client', label: 'client URL (optional; etcdtop watches it while the member starts)', isOptional: true, example: 'https://10.0.0.4:2379'},
	{id: 'start', label: 'start command run over SSH on its host (optional; empty: you start it)', isOptional: true, example: 'systemctl start etcd'},
];

/** add: how the new member joins; a learner first is the default, as replace does. */
const roleField: Field = {id: 'role', label: 'join as', isOptional: false, example: 'learner'};

type FormValues = Readonly<Record<Field['id'], string>>;

export const wizardTitles: Readonly<Record<MemberActionId, string>> = {
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
	'add-member': ['assess', 'add', 'start', 'catch-up', 'promote', 'verify', 'done'],
	'remove-member': ['assess', 'remove', 'done'],
	'move-leader': ['assess', 'move-leader', 'verify', 'done'],
};

const phaseScope: Readonly<Record<SessionPhase, Scope | undefined>> = {form: 'wizard form', running: 'wizard running', confirm: undefined, finished: 'wizard finished'};

export interface MemberWizardProps {
	readonly session: MemberOpSession;
	/** The keys typed before this view listened (the console holds them): read first, in order. */
	readonly inbox: KeyInbox;
	readonly member: MemberView | undefined;
	readonly keymap: Keymap;
	readonly onClose: () => void;
	/** A key the running wizard does not use: the console's global keys (panes, help, pause) act on it. */
	readonly onGlobalKey: (name: string) => void;
	readonly width: number;
	readonly height: number;
}

/** Rows a line takes when wrapped whole at `width`. */
function rowsOf(line: string, width: number): number {
	return hardWrap(line, width).length;
}

/** A line drawn whole: cut into rows at the screen's edge only, each row from the first column. */
function WholeLine({text, width, bold, tone}: {readonly text: string; readonly width: number; readonly bold?: boolean; readonly tone?: string | undefined}) {
	return (
		<Box flexDirection="column" flexShrink={0}>
			{hardWrap(text, width).map((row, index) => (
				<Text key={index} wrap="truncate" bold={bold ?? false} {...(tone ? {color: tone} : {})}>
					{row}
				</Text>
			))}
		</Box>
	);
}

/**
 * One screen per step of the same state machine `etcdtop member …` drives. The change itself lives in
 * the session (ui/member-op-session.ts), so this view may close while the change waits and open again.
 * It reads every key while its form or typed confirmation is up; once the change runs, the console's
 * global keys (panes, help, quit) work too.
 */
export function MemberWizard({session, inbox, member, keymap, onClose, onGlobalKey, width, height}: MemberWizardProps) {
	const {isRawModeSupported} = useStdin();
	const snapshot = useSyncExternalStore(session.subscribe, session.getSnapshot);
	const {action, phase, state, log, confirm, written} = snapshot;
	const fields = action === 'add-member' ? [...formFields, roleField] : formFields;
	const [form, setFormState] = useState<{readonly index: number; readonly error: string | undefined}>({index: 0, error: undefined});
	const [values, setValuesState] = useState<FormValues>({name: '', peer: '', client: '', start: '', role: 'learner'});
	const [offset, setOffset] = useState(0);
	const maxOffset = useRef(0);
	// Keys arrive faster than React re-renders (a paste, tmux send-keys): the handler reads and writes these
	// refs at once, and the state only follows for rendering.
	const formRef = useRef(form);
	const valuesRef = useRef(values);
	const setForm = (next: typeof form) => {
		formRef.current = next;
		setFormState(next);
	};
	const setValues = (update: (all: FormValues) => FormValues) => {
		valuesRef.current = update(valuesRef.current);
		setValuesState(valuesRef.current);
	};

	const start = (formValues: FormValues) => {
		const parse = (text: string) => {
			if (text.trim() === '') return [];
			const urls = parseMemberUrls(text, 'url');
			return isInputProblem(urls) ? [] : urls;
		};
		const kind = kinds[action];
		const isVoter = kind === 'add' && formValues.role === 'voter';
		const plan: OperationPlan = {
			kind,
			...(member?.id ? {target: member.id} : {}),
			...(kind === 'replace' || kind === 'add' ? {newName: formValues.name.trim()} : {}),
			newPeerUrls: parse(formValues.peer),
			newClientUrls: parse(formValues.client),
			isLearner: (kind === 'replace' || kind === 'add') && !isVoter,
			...(formValues.start.trim() === '' ? {} : {startCommand: formValues.start.trim()}),
			isPreConfirmed: false,
			isConfirmingEveryChange: true,
			isWaitingForStart: true,
			isPromotingLearner: true,
			waitTimeoutMs: session.waitTimeoutMs,
			maxPromoteAttempts: Math.max(5, Math.ceil(session.waitTimeoutMs / 500)),
			connection: session.connection,
			inputs: {target: 'member', name: 'name', peer: 'peer URL', client: 'client URL'},
			// The row's name may be the one this console added it under (etcd has none until it starts).
			...(member?.id && member.name ? {givenNames: {[member.id]: member.name}} : {}),
		};
		session.start(plan);
	};

	// remove and move-leader have no form: they start (and ask) at once.
	useEffect(() => {
		if (phase !== 'form' && !session.hasStarted) start(valuesRef.current);
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, []);

	const ctx: WizardContext = {
		next: () => {
			const current = formRef.current;
			const field = fields[current.index]!;
			const value = valuesRef.current[field.id].trim();
			if (value === '' && !field.isOptional) return setForm({...current, error: `${field.label} is required, e.g. ${field.example}`});
			if ((field.id === 'peer' || field.id === 'client') && value !== '') {
				const urls = parseMemberUrls(value, field.label);
				if (isInputProblem(urls)) return setForm({...current, error: `${urls.problem} (${urls.fix})`});
			}
			if (current.index + 1 < fields.length) return setForm({index: current.index + 1, error: undefined});
			start(valuesRef.current);
		},
		cancel: onClose,
		toggle: () => {
			if (fields[formRef.current.index]?.id === 'role') setValues(all => ({...all, role: all.role === 'learner' ? 'voter' : 'learner'}));
		},
		// Stops before the next step; running the same action again resumes from where the cluster stands.
		stop: () => session.stop(),
		close: onClose,
		write: () => session.writeSettings(),
		scroll: lines => setOffset(current => Math.max(0, Math.min(maxOffset.current, current + lines))),
	};

	const onPress = (press: KeyPress) => {
		const current = session.getSnapshot().phase;
		if (current === 'confirm') {
			const typedInput = confirmInputOf(keymap, press);
			if (typedInput) session.type(typedInput);
			return;
		}
		const scope = phaseScope[current];
		if (scope === undefined) return;
		// Text is never a key: a pasted word "enter" is typed, not pressed. Outside the form each
		// character of a chunk is a key ("3" opens the log pane, which the console handles).
		const names = current === 'form' || press.text === '' ? [press.name] : [...press.text];
		const scopes: Scope[] = current === 'form' ? [scope] : [scope, 'wizard'];
		if (current !== 'form') {
			for (const name of names) {
				const found = findAction(keymap, 'wizard', name, scopes);
				if (found) found.run(ctx);
				else if (name !== 'ctrl+c') onGlobalKey(name);
			}
			return;
		}
		const found = press.text === '' ? findAction(keymap, 'wizard', press.name, scopes) : undefined;
		if (found) {
			found.run(ctx);
			return;
		}
		const field = fields[formRef.current.index]!;
		if (field.id === 'role') return;
		if (press.name === 'backspace') setValues(all => ({...all, [field.id]: all[field.id].slice(0, -1)}));
		else if (press.text !== '') setValues(all => ({...all, [field.id]: all[field.id] + press.text}));
	};
	useInput(
		(input, key) => {
			for (const press of splitKeys(input, key, 'text')) onPress(press);
		},
		{isActive: isRawModeSupported === true},
	);
	// Declared after useInput: in the same effects pass as its listener, so no key falls between the two.
	const onPressRef = useRef(onPress);
	onPressRef.current = onPress;
	useEffect(() => {
		inbox.open(press => onPressRef.current(press));
		return () => inbox.close();
	}, [inbox]);

	const title = `${wizardTitles[action]}${snapshot.subject ? ` ${snapshot.subject}` : ''}`;
	const lines: React.ReactNode[] = [];
	// Top and bottom border only: a wrapped value starts at the first column, so a selection copies no frame.
	const frame = 2;
	let used = frame + 1;
	if (phase === 'form') {
		fields.forEach((field, index) => {
			const isCurrent = index === form.index;
			const value = field.id === 'role' ? (values.role === 'learner' ? '[learner] voter · a learner has no vote until it has caught up and etcdtop promotes it' : 'learner [voter] · it votes at once, before it has started') : values[field.id];
			lines.push(
				<Text key={field.id} wrap="truncate">
					<Text color={isCurrent ? color('accent') : color('muted')}>{isCurrent ? '> ' : '  '}{field.label}: </Text>
					{value}
					{isCurrent && field.id !== 'role' ? '_' : ''}
				</Text>,
			);
		});
		if (form.error) lines.push(<Text key="error" color={color('bad')}>{form.error}</Text>);
		const toggle = actionById(keymap, 'wizard-toggle');
		const roleHint = fields[form.index]?.id === 'role' && toggle ? ` · ${formatKeys(toggle, 1)} learner/voter` : '';
		lines.push(<Text key="keys" color={color('muted')}>{hintLine(keymap, 'wizard form')}{roleHint} · nothing changes until the member list is checked and you type the name</Text>);
		return (
			<Box flexDirection="column" borderStyle="round" borderLeft={false} borderRight={false} width={width}>
				<Text bold>{title}</Text>
				{lines}
			</Box>
		);
	}

	const steps = stepsFor[action];
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
	used += 1;
	if (state?.numbers && phase !== 'confirm') {
		const text = `quorum: ${describeNumbers(state.numbers)}`;
		lines.push(<WholeLine key="numbers" text={text} width={width} />);
		used += rowsOf(text, width);
	}
	if (state?.catchUp && (state.step === 'catch-up' || state.step === 'promote')) {
		lines.push(<Text key="catchup" wrap="truncate">{catchUpText(state.catchUp)}</Text>);
		used += 1;
	}
	const waiting = state ? waitingText(state) : undefined;
	if (waiting) {
		lines.push(<WholeLine key="waiting" text={waiting.text} width={width} tone={waiting.isWorrying ? color('warn') : undefined} />);
		used += rowsOf(waiting.text, width);
	}
	if (phase === 'confirm' && confirm) {
		lines.push(
			<TypedConfirmationView key="confirm" keymap={keymap} confirmation={confirm.confirmation} verb={confirm.effect.verb}>
				{confirm.effect.summary.map((line, index) => (
					<WholeLine key={`summary-${index}`} text={line} width={width} />
				))}
			</TypedConfirmationView>,
		);
		used += confirm.effect.summary.reduce((sum, line) => sum + rowsOf(line, width), 0) + 1;
	}
	const hints = phase === 'finished' ? hintLine(keymap, 'wizard finished') : phase === 'confirm' ? '' : hintLine(keymap, 'wizard running');
	used += 1;
	// The settings to copy, wrapped whole: the final --etcd-servers first once it exists, then the start settings.
	const copyable = state ? [...(state.etcdServers === undefined ? [] : etcdServersLines(state.etcdServers)), ...(state.settings ? copyableLines({...state, etcdServers: undefined}, session.settingsContext) : [])] : [];
	const copyableSet = new Set(copyable);
	const notes = (state?.notes ?? []).filter(line => !copyableSet.has(line));
	const writtenText = written ? ('path' in written ? `settings written to ${written.path} (mode 0600)` : written.error) : undefined;
	// The rows go first to what the operator must copy, then the latest note, then more notes and the command log.
	const minNotes = Math.min(notes.length, 1);
	let free = height - used - (writtenText ? rowsOf(writtenText, width) : 0) - minNotes;
	if (copyable.length > 0) {
		// Whole lines only, from the scroll offset: a value is shown entire or not at all.
		const room = Math.max(1, free - 1);
		// The last page is a full one: scrolling stops once the last line is on screen.
		let lastPage = copyable.length - 1;
		for (let rows = rowsOf(copyable[lastPage]!, width); lastPage > 0 && rows + rowsOf(copyable[lastPage - 1]!, width) <= room; lastPage--) rows += rowsOf(copyable[lastPage - 1]!, width);
		maxOffset.current = lastPage;
		const first = Math.min(offset, lastPage);
		let rows = 0;
		let last = first;
		while (last < copyable.length && (last === first || rows + rowsOf(copyable[last]!, width) <= room)) rows += rowsOf(copyable[last++]!, width);
		copyable.slice(first, last).forEach((line, index) => lines.push(<WholeLine key={`copy-${first + index}`} text={line} width={width} bold={line.startsWith('kube-apiserver:')} />));
		const write = actionById(keymap, 'wizard-write');
		const more = first > 0 || last < copyable.length ? `lines ${first + 1}-${last} of ${copyable.length} · j/k scroll · ` : '';
		lines.push(
			<Text key="copy-keys" color={color('muted')} wrap="truncate">
				{more}
				{write ? `${formatKeys(write, 1)} writes them to a file · ` : ''}also in the log pane (3)
			</Text>,
		);
		free -= rows + 1;
	}
	const noteRoom = Math.min(notes.length, minNotes + Math.max(0, Math.min(2, free)));
	free -= noteRoom - minNotes;
	const logShown = free >= 2 ? log.slice(-Math.min(3, free - 1)) : [];
	if (written) {
		lines.push(<WholeLine key="written" text={writtenText ?? ''} width={width} tone={'path' in written ? color('good') : color('bad')} />);
	}
	for (const [index, note] of notes.slice(-noteRoom).entries()) {
		lines.push(
			<Text key={`note-${index}`} wrap="truncate" color={note.startsWith('refused') || note.startsWith('failed') ? color('bad') : note.startsWith('done') ? color('good') : undefined}>
				{note}
			</Text>,
		);
	}
	if (logShown.length > 0) {
		lines.push(<Text key="log-title" bold>command log</Text>);
		for (const [index, entry] of logShown.entries()) lines.push(<Text key={`log-${index}`} wrap="truncate-start" color={color('muted')}>$ {entry.command} # {entry.result}</Text>);
	}
	lines.push(<Text key="keys" color={color('muted')} wrap="truncate">{hints}</Text>);
	return (
		<Box flexDirection="column" borderStyle="round" borderLeft={false} borderRight={false} width={width}>
			<Text bold>{title}</Text>
			{lines}
		</Box>
	);
}

/** One line over another pane while a member change goes on behind it: what it waits for, and the key back. */
export function MemberOpBanner({session, keymap, width}: {readonly session: MemberOpSession; readonly keymap: Keymap; readonly width: number}) {
	const {action, subject, phase, state} = useSyncExternalStore(session.subscribe, session.getSnapshot);
	const back = actionById(keymap, action);
	const what = `${wizardTitles[action]}${subject ? ` ${subject}` : state?.plan.newName ? ` ${state.plan.newName}` : ''}`;
	const status = phase === 'finished' ? (state?.outcome ? `${state.outcome.type}` : 'finished') : phase === 'confirm' ? 'waits for the typed name' : `runs (${state?.step ?? 'assess'})`;
	return (
		<Box width={width}>
			<Text inverse wrap="truncate">
				{' '}
				{what} {status} · {back ? formatKeys(back, 1) : 'its key'} returns to it{' '}
			</Text>
		</Box>
	);
}
