import {Box, Text, useInput, useStdin} from 'ink';
import {useState, useSyncExternalStore} from 'react';
import type {ConsoleStore} from './console-store.js';
import {EventLog} from './components/event-log.js';
import {Header} from './components/header.js';
import {HelpOverlay} from './components/help-overlay.js';
import {KeyHints} from './components/key-hints.js';
import {MemberDetails} from './components/member-details.js';
import {MembersTable} from './components/members-table.js';
import {useNow} from './hooks/use-now.js';
import {useTerminalSize} from './hooks/use-terminal-size.js';
import {findAction, keyName, type ActionId, type KeyAction} from './keymap.js';
import {color} from './theme.js';

export type Pane = 'dashboard' | 'log';

/** Which overlay is open: one union rather than a flag per overlay. */
export type Modal = {readonly kind: 'none'} | {readonly kind: 'help'} | {readonly kind: 'member-details'; readonly memberKey: string};

export interface AppProps {
	readonly store: ConsoleStore;
	readonly keymap: readonly KeyAction[];
	readonly isReadOnly: boolean;
	readonly onQuit: () => void;
	readonly now?: () => number;
}

const intervalSteps = [250, 500, 1000, 2000, 5000, 10_000, 30_000];

function stepInterval(current: number, direction: 1 | -1): number {
	const index = intervalSteps.findIndex(step => step >= current);
	const at = index === -1 ? intervalSteps.length - 1 : index;
	return intervalSteps[Math.max(0, Math.min(intervalSteps.length - 1, at + direction))]!;
}

export function App({store, keymap, isReadOnly, onQuit, now: clock = Date.now}: AppProps) {
	const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot);
	const {view, events} = snapshot.cluster;
	const now = useNow(1000, clock);
	const {columns, rows} = useTerminalSize();
	const {isRawModeSupported} = useStdin();
	const [pane, setPane] = useState<Pane>('dashboard');
	const [modal, setModal] = useState<Modal>({kind: 'none'});
	const [selectedKey, setSelectedKey] = useState<string | undefined>(undefined);

	const members = view.members;
	const selectedIndex = Math.max(0, members.findIndex(member => member.key === selectedKey));
	const selected = members[selectedIndex];

	const run = (id: ActionId) => {
		switch (id) {
			case 'quit':
				return onQuit();
			case 'help':
				return setModal(modal.kind === 'help' ? {kind: 'none'} : {kind: 'help'});
			case 'close':
				return setModal({kind: 'none'});
			case 'down':
				return setSelectedKey(members[Math.min(members.length - 1, selectedIndex + 1)]?.key);
			case 'up':
				return setSelectedKey(members[Math.max(0, selectedIndex - 1)]?.key);
			case 'details':
				return selected ? setModal({kind: 'member-details', memberKey: selected.key}) : undefined;
			case 'pause':
				return store.setPaused(!snapshot.isPaused);
			case 'refresh':
				return store.refresh();
			case 'slower':
				return store.setInterval(stepInterval(snapshot.intervalMs, 1));
			case 'faster':
				return store.setInterval(stepInterval(snapshot.intervalMs, -1));
			case 'dashboard':
				setModal({kind: 'none'});
				return setPane('dashboard');
			case 'log':
				setModal({kind: 'none'});
				return setPane('log');
		}
	};

	useInput(
		(input, key) => {
			const name = keyName(input, key);
			const scopes = modal.kind === 'none' ? (pane === 'dashboard' ? (['global', 'dashboard'] as const) : (['global'] as const)) : (['global', 'modal'] as const);
			// In an overlay, enter closes it as well as escape: the details view is read and dismissed.
			const action = modal.kind !== 'none' && name === 'enter' ? keymap.find(candidate => candidate.id === 'close') : findAction(keymap, name, scopes);
			if (action && !action.disabledReason) run(action.id);
		},
		{isActive: isRawModeSupported === true},
	);

	const height = Math.max(10, rows - 1);
	const width = Math.max(40, columns);
	const headerHeight = 2;
	const hintsHeight = 1;
	const bodyHeight = height - headerHeight - hintsHeight - 1;

	let body: React.ReactNode;
	if (modal.kind === 'help') {
		body = <HelpOverlay keymap={keymap} isReadOnly={isReadOnly} />;
	} else if (modal.kind === 'member-details') {
		const member = members.find(candidate => candidate.key === modal.memberKey);
		body = member ? <MemberDetails member={member} view={view} now={now} width={width} /> : <Text color={color('warn')}>that member is no longer in the list (esc)</Text>;
	} else if (pane === 'log') {
		body = <EventLog events={events} height={bodyHeight} width={width} title="EVENT LOG" />;
	} else {
		const tableHeight = members.length + 1;
		body = (
			<Box flexDirection="column">
				<MembersTable view={view} selectedKey={selected?.key} now={now} width={width} />
				<Box height={1} />
				<EventLog events={events} height={Math.max(2, bodyHeight - tableHeight - 1)} width={width} />
			</Box>
		);
	}

	return (
		<Box flexDirection="column" width={width} height={height}>
			<Header view={view} now={now} intervalMs={snapshot.intervalMs} isPaused={snapshot.isPaused} isReadOnly={isReadOnly} width={width} />
			<Box height={1} />
			<Box flexDirection="column" height={bodyHeight} overflow="hidden">
				{body}
			</Box>
			<KeyHints keymap={keymap} />
		</Box>
	);
}
