import {Box, useInput, useStdin} from 'ink';
import {Text} from './components/text.js';
import {useEffect, useMemo, useRef, useState, useSyncExternalStore} from 'react';
import type {ConsoleStore} from './console-store.js';
import {EventLog} from './components/event-log.js';
import {CommandLog, mergeByTime, type LogLine} from './command-log.js';
import {Header, headerHeightFor} from './components/header.js';
import {HelpOverlay} from './components/help-overlay.js';
import {KeyHints} from './components/key-hints.js';
import {MemberDetails} from './components/member-details.js';
import {memberListSource} from '../model/observation.js';
import {MembersTable} from './components/members-table.js';
import {MemberOpBanner, MemberWizard} from './components/member-wizard.js';
import {MemberOpSession} from './member-op-session.js';
import {writeSettingsFile} from '../output/settings-file.js';
import type {MemberOpsBackend} from './member-ops.js';
import {useNow} from './hooks/use-now.js';
import {useTerminalSize} from './hooks/use-terminal-size.js';
import {actionsOn, findAction, formatKeys, resolveKey, type ConsoleContext, type KeyAction, type Keymap} from './keymap.js';
import {KeyInbox, splitKeys, type KeyPress} from './keys.js';
import {reduceTyped, startTyped} from '../model/typed-confirmation.js';
import {confirmInputOf, TypedConfirmationView} from './components/typed-confirmation.js';
import {initialUi, scopesFor, type UiState} from './ui-state.js';
import {initialSnapshotsPane} from '../model/snapshots-pane.js';
import type {SnapshotPaneStore} from '../model/snapshots-pane.js';
import {ConfirmDelete, SnapshotDetails} from './components/snapshot-details.js';
import {SnapshotsPane} from './components/snapshots-pane.js';
import {color} from './theme.js';
import {MaintenancePane} from './components/maintenance-pane.js';
import type {MaintenanceSnapshot, MaintenanceStore} from './maintenance-store.js';

export interface AppProps {
	readonly store: ConsoleStore;
	readonly keymap: Keymap;
	readonly isReadOnly: boolean;
	readonly onQuit: () => void;
	readonly now?: () => number;
	/** The snapshots pane's store; without one the pane says snapshots are not set up. */
	readonly snapshots?: SnapshotPaneStore;
	/** Member changes (R, a, D, L); without it those keys say they are unavailable. */
	readonly memberOps?: MemberOpsBackend;
	/** Changes etcdtop made and remote commands it ran, shown in the log pane beside the cluster's events. */
	readonly commandLog?: CommandLog;
	/** The Maintenance pane's actions; without it the pane shows space and alarms and its keys say why they are off. */
	readonly maintenance?: MaintenanceStore;
}

const emptyLog = new CommandLog();

/** The hint bar shows what works here; in the snapshots pane its own keys come first, so they survive truncation. */
function hintsFor(keymap: ReadonlyArray<KeyAction<'console'>>, ui: UiState): ReadonlyArray<KeyAction<'console'>> {
	const scopes = scopesFor(ui);
	const active = keymap.filter(action => scopes.includes(action.scope));
	if (ui.pane !== 'snapshots' || ui.modal.kind !== 'none') return active;
	return [...active.filter(action => action.scope === 'snapshots'), ...active.filter(action => action.scope !== 'snapshots')];
}

const noSnapshotsState = initialSnapshotsPane('(not set up)');
const noSnapshots: SnapshotPaneStore = {
	subscribe: () => () => undefined,
	getSnapshot: () => noSnapshotsState,
	reload: () => undefined,
	save: () => undefined,
	verify: () => undefined,
	remove: () => undefined,
	restorePlanLines: () => [],
};

const noMaintenanceState: MaintenanceSnapshot = Object.freeze({quotas: {}, task: undefined, pendingConfirm: undefined, busy: {}});
const noMaintenance = {subscribe: () => () => undefined, getSnapshot: () => noMaintenanceState};

export function App({store, keymap, isReadOnly, onQuit, now: clock = Date.now, snapshots = noSnapshots, memberOps, commandLog = emptyLog, maintenance}: AppProps) {
	const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot);
	const {view, events} = snapshot.cluster;
	const snapshotsState = useSyncExternalStore(snapshots.subscribe, snapshots.getSnapshot);
	const commandLines = useSyncExternalStore(commandLog.subscribe, commandLog.getSnapshot);
	const maintenanceState = useSyncExternalStore((maintenance ?? noMaintenance).subscribe, (maintenance ?? noMaintenance).getSnapshot);
	// A silent member's row counts its seconds: a frame at least every half second, so no second is skipped.
	const now = useNow(view.members.some(member => member.health === 'unreachable') ? 500 : 1000, clock);
	const {columns, rows} = useTerminalSize();
	const {isRawModeSupported} = useStdin();
	const [ui, setUi] = useState<UiState>(initialUi);
	// Keys can arrive faster than React re-renders (a paste, tmux send-keys): the handler reads the
	// latest UI state and store snapshot from here, never from a stale closure.
	const uiRef = useRef(ui);
	// The member change open in the wizard; it outlives the wizard's view while another pane is shown.
	const [session, setSession] = useState<MemberOpSession | undefined>(undefined);
	const sessionRef = useRef(session);
	const wizardInbox = useMemo(() => new KeyInbox(), []);
	const setMemberOp = (next: MemberOpSession | undefined) => {
		sessionRef.current = next;
		setSession(next);
	};
	const update = (next: UiState) => {
		if (next.modal.kind === 'member-op' && memberOps && !sessionRef.current) {
			const {memberKey} = next.modal;
			const subject = store.getSnapshot().cluster.view.members.find(member => member.key === memberKey);
			setMemberOp(new MemberOpSession(next.modal.action, memberKey, subject ? subject.name || subject.id : undefined, memberOps, memberOps.writeSettings ?? writeSettingsFile, (id, name) => store.nameMember?.(id, name)));
		}
		uiRef.current = next;
		setUi(next);
	};
	const closeMemberOp = () => {
		sessionRef.current?.stop();
		setMemberOp(undefined);
		update({...uiRef.current, modal: {kind: 'none'}});
	};
	// A change still open when the console closes stops before its next step.
	useEffect(() => () => sessionRef.current?.stop(), []);

	// A maintenance action waiting for its typed word opens the one typed confirmation.
	const pendingWord = maintenanceState.pendingConfirm?.expected;
	useEffect(() => {
		const current = uiRef.current;
		if (pendingWord && current.modal.kind !== 'confirm-maintenance') update({...current, pane: 'maintenance', modal: {kind: 'confirm-maintenance', confirmation: startTyped(pendingWord)}});
		if (!pendingWord && current.modal.kind === 'confirm-maintenance') update({...current, modal: {kind: 'none'}});
		// `update` reads only refs and the props it was built with: the word is what changes.
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [pendingWord]);

	// The file a save started with `s` wrote becomes the selection (the list is newest first, but a
	// selection by name would stay on the older file).
	const save = snapshotsState.save;
	useEffect(() => {
		const current = uiRef.current;
		if (!current.isFollowingSave || save.kind === 'saving' || save.kind === 'idle') return;
		update({...current, isFollowingSave: false, ...(save.kind === 'saved' ? {selectedSnapshot: save.name} : {})});
		// `update` reads only refs: the save's outcome is what changes.
		// eslint-disable-next-line react-hooks/exhaustive-deps
	}, [save]);

	const members = view.members;
	const selectedIndex = Math.max(0, members.findIndex(member => member.key === ui.selectedKey));
	const selected = members[selectedIndex];

	const consoleActions = useMemo(() => actionsOn(keymap, 'console'), [keymap]);
	/** Everything an action may read or do, from the latest state (never a stale closure). */
	const contextNow = (): ConsoleContext => ({
		ui: uiRef.current,
		update,
		store,
		snapshots,
		hasSnapshots: snapshots !== noSnapshots,
		memberKeys: store.getSnapshot().cluster.view.members.map(member => member.key),
		snapshotNames: snapshots.getSnapshot().entries.map(entry => entry.name),
		hasMemberOps: memberOps !== undefined,
		liveMemberOp: sessionRef.current ? {action: sessionRef.current.getSnapshot().action, memberKey: sessionRef.current.getSnapshot().memberKey} : undefined,
		maintenance,
		quit: onQuit,
	});

	const onPress = (press: KeyPress) => {
		const current = uiRef.current;
		// The member wizard reads every key itself while its form or typed confirmation is up (names, URLs
		// hold digits and letters); once the change runs, the console's global keys work as anywhere else:
		// the log pane opens while the change waits, which goes on behind it.
		// The wizard hands on the keys it does not use (onGlobalKey), in order, so a name typed into its
		// confirmation never reaches a pane key.
		if (current.modal.kind === 'member-op') {
			if (press.name === 'ctrl+c') return onQuit();
			// Until the wizard listens (from its first effect, after its first frame), its keys wait for it.
			if (!wizardInbox.isOpen) return wizardInbox.hold(press);
			if (!sessionRef.current) findAction(keymap, 'console', press.name, ['modal', 'global'])?.run(contextNow());
			return;
		}
		if (current.modal.kind === 'confirm-maintenance') {
			if (press.name === 'ctrl+c') return onQuit();
			const input = confirmInputOf(keymap, press);
			if (!input) return;
			const {state, outcome} = reduceTyped(current.modal.confirmation, input);
			if (outcome === 'typing') return update({...current, modal: {...current.modal, confirmation: state}});
			update({...current, modal: {kind: 'none'}});
			maintenance?.confirm(outcome === 'confirmed');
			return;
		}
		if (current.modal.kind === 'confirm-delete') {
			// The confirmation owns the keyboard: "q" or "d" in a file name is text; only ctrl+c still quits.
			if (press.name === 'ctrl+c') return onQuit();
			const input = confirmInputOf(keymap, press);
			if (!input) return;
			const {name} = current.modal;
			const {state, outcome} = reduceTyped(current.modal.confirmation, input);
			if (outcome === 'typing') return update({...current, modal: {...current.modal, confirmation: state}});
			update({...current, modal: {kind: 'none'}});
			if (outcome === 'confirmed') snapshots.remove(name);
			return;
		}
		// A change goes on behind this pane: its key (R, a, D, L) returns to it from any pane, as the banner says.
		const behind = sessionRef.current?.getSnapshot();
		if (behind && current.modal.kind === 'none' && keymap.find(candidate => candidate.id === behind.action)?.keys.includes(press.name)) {
			return update({...current, notice: undefined, modal: {kind: 'member-op', action: behind.action, memberKey: behind.memberKey}});
		}
		const action = resolveKey(keymap, current, press.name);
		if (current.notice !== undefined) update({...current, notice: undefined});
		if (!action) return;
		const ctx = contextNow();
		const reason = action.disabledReason(ctx);
		if (reason !== undefined) return update({...ctx.ui, notice: `${formatKeys(action)}: ${reason}`});
		action.run(ctx);
	};

	useInput(
		(input, key) => {
			// Text entry takes a pasted chunk as text; elsewhere each character is its own key.
			const mode = uiRef.current.modal.kind === 'confirm-delete' || uiRef.current.modal.kind === 'confirm-maintenance' ? 'text' : 'keys';
			for (const press of splitKeys(input, key, mode)) onPress(press);
		},
		// Always listening while the terminal can be read (it ignores keys the wizard owns): a handler that
		// attached only after a modal closed would lose the keys typed in between.
		{isActive: isRawModeSupported === true},
	);

	const {pane, modal} = ui;
	const hints = useMemo(() => hintsFor(consoleActions, ui), [consoleActions, ui]);
	const logLines = useMemo(() => (pane === 'log' ? mergeByTime<LogLine>(events, commandLines) : []), [pane, events, commandLines]);

	const height = Math.max(10, rows - 1);
	const width = Math.max(40, columns);
	const hintsHeight = 1;
	// The change goes on behind another pane: one line says so, and how to get back to it.
	const isMemberOpBehind = session !== undefined && modal.kind !== 'member-op';
	// The help overlay takes the whole screen above the hints: every key, each pane's together, on 24 lines.
	const isFullScreen = modal.kind === 'help';
	const bodyHeight = height - (isFullScreen ? 0 : headerHeightFor(view) + 1) - hintsHeight - (isMemberOpBehind ? 1 : 0);

	let body: React.ReactNode;
	// Panes that size themselves to bodyHeight draw unclipped; the rest are clipped to it. A clip costs
	// Ink a slice of every line it draws, each frame, so the dashboard avoids one while it fits.
	let isSized = false;
	if (modal.kind === 'member-op') {
		const member = members.find(candidate => candidate.key === modal.memberKey);
		body = session ? (
			<MemberWizard key={`${modal.action}-${modal.memberKey ?? ''}`} inbox={wizardInbox} session={session} member={member} keymap={keymap} onClose={closeMemberOp} onGlobalKey={name => findAction(keymap, 'console', name, ['global'])?.run(contextNow())} width={width} height={bodyHeight} />
		) : (
			<Text color={color('warn')}>member changes are not available in this console</Text>
		);
	} else if (modal.kind === 'help') {
		const ctx = contextNow();
		body = <HelpOverlay keymap={consoleActions} isReadOnly={isReadOnly} reasonOf={action => action.disabledReason(ctx)} height={bodyHeight} />;
	} else if (modal.kind === 'member-details') {
		const member = members.find(candidate => candidate.key === modal.memberKey);
		const {memberList, memberListFrom, memberListAt} = snapshot.cluster;
		// The poller's list is serializable (it must read without quorum): the details say whose it is.
		const source = memberList && memberListFrom ? memberListSource({endpoint: memberListFrom, isLinearizable: false}, memberList.members, {}) : undefined;
		const listedBy = source ? {text: source.text, at: memberListAt} : undefined;
		body = member ? <MemberDetails member={member} view={view} now={now} width={width} {...(listedBy ? {listedBy} : {})} /> : <Text color={color('warn')}>that member is no longer in the list (esc)</Text>;
	} else if (modal.kind === 'snapshot-details') {
		const entry = snapshotsState.entries.find(candidate => candidate.name === modal.name);
		body = entry ? <SnapshotDetails entry={entry} state={snapshotsState} width={width} height={bodyHeight} offset={modal.offset} keymap={keymap} store={snapshots} /> : <Text color={color('warn')}>that file is no longer there (esc)</Text>;
	} else if (modal.kind === 'confirm-delete') {
		body = <ConfirmDelete confirmation={modal.confirmation} keymap={keymap} />;
	} else if (modal.kind === 'confirm-maintenance') {
		body = (
			<Box flexDirection="column" borderStyle="round" borderColor={color('bad')} paddingX={1}>
				<TypedConfirmationView keymap={keymap} confirmation={modal.confirmation} verb="go ahead">
					<Text bold color={color('bad')}>
						{modal.confirmation.expected === 'defrag' ? 'Defragment the cluster?' : 'Compact the keyspace?'}
					</Text>
					{(maintenanceState.pendingConfirm?.lines ?? []).map((line, index) => (
						<Text key={index} wrap="truncate">
							{line}
						</Text>
					))}
				</TypedConfirmationView>
			</Box>
		);
	} else if (pane === 'maintenance') {
		body = <MaintenancePane view={view} state={maintenanceState} isReadOnly={isReadOnly} now={now} width={width} height={bodyHeight} />;
	} else if (pane === 'snapshots') {
		const selectedName = ui.selectedSnapshot ?? snapshotsState.entries[0]?.name;
		body = <SnapshotsPane state={snapshotsState} selectedName={selectedName} now={now} width={width} height={bodyHeight} />;
		isSized = true;
	} else if (pane === 'log') {
		body = <EventLog events={logLines} height={bodyHeight} width={width} title="EVENT LOG" />;
		isSized = true;
	} else {
		const tableHeight = members.length + 1;
		const logHeight = Math.max(2, bodyHeight - tableHeight - 1);
		isSized = tableHeight + 1 + logHeight <= bodyHeight;
		body = (
			<Box flexDirection="column">
				<MembersTable view={view} selectedKey={selected?.key} now={now} width={width} busy={maintenanceState.busy} />
				<Box height={1} />
				<EventLog events={events} height={logHeight} width={width} />
			</Box>
		);
	}


	return (
		<Box flexDirection="column" width={width} height={height}>
			{isFullScreen ? null : (
				<>
					<Header view={view} now={now} intervalMs={snapshot.intervalMs} isPaused={snapshot.isPaused} isReadOnly={isReadOnly} width={width} busy={maintenanceState.busy} />
					<Box height={1} />
				</>
			)}
			{isMemberOpBehind ? <MemberOpBanner session={session} keymap={keymap} width={width} /> : null}
			<Box flexDirection="column" height={bodyHeight} overflow={isSized ? 'visible' : 'hidden'}>
				{body}
			</Box>
			<KeyHints keymap={hints} notice={ui.notice} width={width} here={modal.kind === 'none' ? pane : undefined} />
		</Box>
	);
}
