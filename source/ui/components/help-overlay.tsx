import {Box} from 'ink';
import {Text} from './text.js';
import {formatKeys, type KeyAction} from '../keymap.js';
import {color} from '../theme.js';

function Entry({action}: {readonly action: KeyAction}) {
	return (
		<Text wrap="truncate">
			<Text bold color={color('accent')}>
				{formatKeys(action).padEnd(10)}
			</Text>
			{action.description}
			{action.disabledReason ? <Text color={color('muted')}> (off: {action.disabledReason})</Text> : null}
		</Text>
	);
}

export function HelpOverlay({keymap, isReadOnly}: {readonly keymap: readonly KeyAction[]; readonly isReadOnly: boolean}) {
	// Two columns, so the whole map fits a 24-line terminal as it grows.
	const half = Math.ceil(keymap.length / 2);
	return (
		<Box flexDirection="column" borderStyle="round" paddingX={1}>
			<Text bold>Keys{isReadOnly ? ' (read-only: actions that change the cluster are off)' : ''}</Text>
			<Box flexDirection="row">
				<Box flexDirection="column" flexBasis="50%" flexShrink={1} marginRight={2}>
					{keymap.slice(0, half).map(action => (
						<Entry key={action.id} action={action} />
					))}
				</Box>
				<Box flexDirection="column" flexBasis="50%" flexShrink={1}>
					{keymap.slice(half).map(action => (
						<Entry key={action.id} action={action} />
					))}
				</Box>
			</Box>
			<Text color={color('muted')}>esc or ? closes this help</Text>
		</Box>
	);
}
