import {Text} from './text.js';
import {memo} from 'react';
import {formatKeys, type KeyAction} from '../keymap.js';
import {color} from '../theme.js';

/** Memoized: the hints change only with the pane or a modal. A notice (why a key did nothing) replaces them. */
export const KeyHints = memo(function KeyHints({keymap, notice}: {readonly keymap: readonly KeyAction[]; readonly notice?: string | undefined}) {
	if (notice !== undefined) {
		return (
			<Text wrap="truncate" color={color('warn')}>
				{notice}
			</Text>
		);
	}
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
