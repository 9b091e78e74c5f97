import {Text} from './text.js';
import {memo} from 'react';
import {formatKeys, type KeyAction} from '../keymap.js';
import {color} from '../theme.js';

/** Memoized: the hints change only with the pane or a modal. */
export const KeyHints = memo(function KeyHints({keymap}: {readonly keymap: readonly KeyAction[]}) {
	const hints = keymap.filter(action => action.hint);
	return (
		<Text wrap="truncate">
			{hints.map((action, index) => (
				<Text key={action.id}>
					{index > 0 ? '  ' : ''}
					<Text bold color={color('accent')}>
						{formatKeys(action)}
					</Text>{' '}
					<Text color={color('muted')}>{action.hint}</Text>
				</Text>
			))}
		</Text>
	);
});
