import {Box, useInput, useStdin, type Key} from 'ink';
import {Text} from './components/text.js';
import {useMemo, useRef, useState, useSyncExternalStore} from 'react';
import type {ConsoleStore} from './console-store.js';
import {EventLog} from './components/event-log.js';
import {CommandLog, mergeByTime, type LogLine} from './command-log.js';
import {Header, headerHeight} from './components/header.js';
import {HelpOverlay} from './components/help-overlay.js';
import {KeyHints} from './components/key-hints.js';
import {MemberDetails} from './components/member-details.js';
import {MembersTable} from './components/members-table.js';
import {MemberWizard} from './components/member-wizard.js';
import type {MemberOpsBackend} from './member-ops.js';
import {useNow} from './hooks/use-now.js';
import {useTerminalSize} from './hooks/use-terminal-size.js';
import {keyName, type KeyAction} from './keymap.js';
import {activeScopes, initialUi, reduceConfirmKey, reduceUi, resolveKey, stepInterval, type UiState} from './ui-state.js';
import {initialSnapshotsPane} from '../model/snapshots-pane.js';
import type {SnapshotPaneStore} from '../snapshot/pane-store.js';
import {ConfirmDelete, SnapshotDetails} from './components/snapshot-details.js';
import {SnapshotsPane} from './components/snapshots-pane.js';
import {color} from './theme.js';

export interface AppProps {
	readonly store: ConsoleStore;
	readonly keymap: readonly KeyAction[];
	readonly isReadOnly: boolean;
	readonly onQuit: () => void;
	readonly now?: () => number;
	/** The snapshots pane's store; without one the pane says snapshots are not set up. */
	readonly snapshots?: SnapshotPaneStore;
	/** Member changes (R, a, D, L); without it those keys say they are unavailable. */
	readonly memberOps?: MemberOpsBackend;
	/** Changes etcdtop made and remote commands it ran, shown in the log pane beside the cluster's events. */
	readonly commandLog?: CommandLog;
}

const emptyLog = new CommandLog();

/** The hint bar shows what works here; in the snapshots pane its own keys come first, so they survive truncation. */
function hintsFor(keymap: readonly KeyAction[], ui: UiState): readonly KeyAction[] {
	const active = keymap.filter(action => activeScopes(ui).includes(action.scope));
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
};

export function App({store, keymap, isReadOnly, onQuit, now: clock = Date.now, snapshots = noSnapshots, memberOps, commandLog = emptyLog}: AppProps) {
	const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot);
	const {view, events} = snapshot.cluster;
	const snapshotsState = useSyncExternalStore(snapshots.subscribe, snapshots.getSnapshot);
	const commandLines = useSyncExternalStore(commandLog.subscribe, commandLog.getSnapshot);
	const now = useNow(1000, clock);
	const {columns, rows} = useTerminalSize();
	const {isRawModeSupported} = useStdin();
	const [ui, setUi] = useState<UiState>(initialUi);
	// Keys can arrive faster than React re-renders (a paste, tmux send-keys): the handler reads the
	// latest UI state and store snapshot from here, never from a stale closure.
	const uiRef = useRef(ui);
	const update = (next: UiState) => {
		uiRef.current = next;
		setUi(next);
	};

	const members = view.members;
	const selectedIndex = Math.max(0, members.findIndex(member => member.key === ui.selectedKey));
	const selected = members[selectedIndex];

	const onKey = (input: string, key: Key) => {
		const current = uiRef.current;
		// The member wizard reads every key itself (names, URLs, the typed confirmation).
		if (current.modal.kind === 'member-op') return;
		const latest = store.getSnapshot();
		const name = keyName(input, key);
		if (current.modal.kind === 'confirm-delete') {
			// The confirmation owns the keyboard: every key is typed, so "q" or "d" in a file name is text.
			if (name === 'ctrl+c') return onQuit();
			const {ui: next, confirmed} = reduceConfirmKey(current, name, input);
			update(next);
			if (confirmed) snapshots.remove(confirmed);
			return;
		}
		const action = resolveKey(keymap, current, name);
		if (!action || action.disabledReason) return;
		const snapshotNames = snapshots.getSnapshot().entries.map(entry => entry.name);
		const selectedSnapshot = current.selectedSnapshot ?? snapshotNames[0];
		switch (action.id) {
			case 'quit':
				return onQuit();
			case 'pause':
				return store.setPaused(!latest.isPaused);
			case 'refresh':
				return store.refresh();
			case 'slower':
				return store.setInterval(stepInterval(latest.intervalMs, 1));
			case 'faster':
				return store.setInterval(stepInterval(latest.intervalMs, -1));
			case 'snapshot-save':
				return snapshots.save();
			case 'snapshot-verify':
				if (selectedSnapshot) snapshots.verify(selectedSnapshot);
				return;
			case 'snapshots':
				snapshots.reload();
				return update(reduceUi(current, action.id, [], snapshotNames));
			default:
				return update(reduceUi(current, action.id, latest.cluster.view.members.map(member => member.key), snapshotNames));
		}
	};

	useInput(
		(input, key) => {
			// Keys typed faster than the terminal is read arrive in one chunk ("3q"). Outside text entry
			// each character is its own key; the wizard and the typed confirmation take the chunk as text.
			const isTextEntry = uiRef.current.modal.kind === 'member-op' || uiRef.current.modal.kind === 'confirm-delete';
			if (!isTextEntry && input.length > 1 && !key.ctrl && !key.meta) {
				for (const char of input) onKey(char, key);
				return;
			}
			onKey(input, key);
		},
		{isActive: isRawModeSupported === true},
	);
	const {pane, modal} = ui;
	const hints = useMemo(() => hintsFor(keymap, ui), [keymap, ui]);
	const logLines = useMemo(() => (pane === 'log' ? mergeByTime<LogLine>(events, commandLines) : []), [pane, events, commandLines]);

	const height = Math.max(10, rows - 1);
	const width = Math.max(40, columns);
	const hintsHeight = 1;
	const bodyHeight = height - headerHeight - hintsHeight - 1;

	let body: React.ReactNode;
	// Panes that size themselves to bodyHeight draw unclipped; the rest are clipped to it. A clip costs
	// Ink a slice of every line it draws, each frame, so the dashboard avoids one while it fits.
	let isSized = false;
	if (modal.kind === 'member-op') {
		const member = members.find(candidate => candidate.key === modal.memberKey);
		const close = () => update({...uiRef.current, modal: {kind: 'none'}});
		body = memberOps ? (
			<MemberWizard key={`${modal.action}-${modal.memberKey ?? ''}`} action={modal.action} member={member} backend={memberOps} onClose={close} width={width} height={bodyHeight} />
		) : (
			<MemberOpUnavailable onClose={close} />
		);
	} else if (modal.kind === 'help') {
		body = <HelpOverlay keymap={keymap} isReadOnly={isReadOnly} />;
	} else if (modal.kind === 'member-details') {
		const member = members.find(candidate => candidate.key === modal.memberKey);
		body = member ? <MemberDetails member={member} view={view} now={now} width={width} /> : <Text color={color('warn')}>that member is no longer in the list (esc)</Text>;
	} else if (modal.kind === 'snapshot-details') {
		const entry = snapshotsState.entries.find(candidate => candidate.name === modal.name);
		body = entry ? <SnapshotDetails entry={entry} state={snapshotsState} width={width} height={bodyHeight} offset={modal.offset} /> : <Text color={color('warn')}>that file is no longer there (esc)</Text>;
	} else if (modal.kind === 'confirm-delete') {
		body = <ConfirmDelete name={modal.name} typed={modal.typed} />;
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
				<MembersTable view={view} selectedKey={selected?.key} now={now} width={width} />
				<Box height={1} />
				<EventLog events={events} height={logHeight} width={width} />
			</Box>
		);
	}

	return (
		<Box flexDirection="column" width={width} height={height}>
			<Header view={view} now={now} intervalMs={snapshot.intervalMs} isPaused={snapshot.isPaused} isReadOnly={isReadOnly} width={width} />
			<Box height={1} />
			<Box flexDirection="column" height={bodyHeight} overflow={isSized ? 'visible' : 'hidden'}>
				{body}
			</Box>
			<KeyHints keymap={hints} />
		</Box>
	);
}

function MemberOpUnavailable({onClose}: {readonly onClose: () => void}) {
	useInput((_input, key) => {
		if (key.escape || key.return) onClose();
	});
	return <Text color={color('warn')}>member changes are not available in this console (esc)</Text>;
}
