import {Box} from 'ink';
import {Text} from './text.js';
import {formatKeys, type KeyAction} from '../keymap.js';
import {color} from '../theme.js';

function Entry({action, reason}: {readonly action: KeyAction; readonly reason: string | undefined}) {
	return (
		<Text wrap="truncate">
			<Text bold color={color('accent')}>
				{formatKeys(action).padEnd(10)}
			</Text>
			{action.description}
			{reason ? <Text color={color('muted')}> (off: {reason})</Text> : null}
		</Text>
	);
}

/** The console's keys; each says when it is off and why. */
export function HelpOverlay({keymap, isReadOnly, reasonOf}: {readonly keymap: ReadonlyArray<KeyAction<'console'>>; readonly isReadOnly: boolean; readonly reasonOf: (action: KeyAction<'console'>) => string | undefined}) {
	// Two columns, so the whole map fits a 24-line terminal as it grows.
	const half = Math.ceil(keymap.length / 2);
	return (
		<Box flexDirection="column" borderStyle="round" paddingX={1}>
			{/* The closing hint shares the title line: with the Maintenance pane's keys the map needs every row of a 24-line terminal. */}
			<Text>
				<Text bold>Keys{isReadOnly ? ' (read-only: actions that change the cluster are off)' : ''}</Text>
				<Text color={color('muted')}> - esc or ? closes this help</Text>
			</Text>
			<Box flexDirection="row">
				<Box flexDirection="column" flexBasis="50%" flexShrink={1} marginRight={2}>
					{keymap.slice(0, half).map(action => (
						<Entry key={action.id} action={action} reason={reasonOf(action)} />
					))}
				</Box>
				<Box flexDirection="column" flexBasis="50%" flexShrink={1}>
					{keymap.slice(half).map(action => (
						<Entry key={action.id} action={action} reason={reasonOf(action)} />
					))}
				</Box>
			</Box>
		</Box>
	);
}
