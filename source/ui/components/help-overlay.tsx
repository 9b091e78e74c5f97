import {Box, Text} from 'ink';
import {formatKeys, type KeyAction} from '../keymap.js';
import {color} from '../theme.js';

export function HelpOverlay({keymap, isReadOnly}: {readonly keymap: readonly KeyAction[]; readonly isReadOnly: boolean}) {
	return (
		<Box flexDirection="column" borderStyle="round" paddingX={1}>
			<Text bold>Keys{isReadOnly ? ' (read-only: actions that change the cluster are off)' : ''}</Text>
			{/* Two columns once the map outgrows a 24-row terminal. */}
			<Box flexDirection="row">
				{(keymap.length > 12 ? [keymap.slice(0, Math.ceil(keymap.length / 2)), keymap.slice(Math.ceil(keymap.length / 2))] : [keymap]).map((column, index) => (
					<Box key={index} flexDirection="column" flexBasis={0} flexGrow={1}>
						{column.map(action => (
							<Text key={action.id} wrap="truncate">
								<Text bold color={color('accent')}>
									{formatKeys(action).padEnd(10)}
								</Text>
								{action.description}
								{action.disabledReason ? <Text color={color('muted')}> (off: {action.disabledReason})</Text> : null}
							</Text>
						))}
					</Box>
				))}
			</Box>
			<Text color={color('muted')}>esc or ? closes this help</Text>
		</Box>
	);
}
