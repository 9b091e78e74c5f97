import {Text} from './text.js';
import {memo} from 'react';
import {formatKeys, type ConsoleActionId, type KeyAction} from '../keymap.js';
import {color} from '../theme.js';

/**
 * Which global hints stay when the bar is too narrow for all, most wanted first: the way out, the help
 * that lists every key, the log, then the other panes. The pane's own keys (given first) rank above all.
 */
const globalRank: readonly ConsoleActionId[] = ['quit', 'help', 'log', 'snapshots', 'maintenance', 'dashboard', 'pause', 'refresh'];

export interface Hint {
	readonly id: string;
	readonly keys: string;
	readonly text: string;
}

const widthOf = (hints: readonly Hint[]) => hints.reduce((sum, hint) => sum + hint.keys.length + 1 + hint.text.length, 0) + Math.max(0, hints.length - 1) * 2;

/**
 * The hints that fit `width`, in the keymap's order. All of them when they fit; else each with its first
 * key only ("q quit"), and whole hints by rank (the pane's own keys, then globalRank, the key of the pane
 * open now, `here`, last) while they fit: a hint is shown whole or not at all, never cut in the middle.
 */
export function fitHints(actions: readonly KeyAction[], width: number, here?: ConsoleActionId): Hint[] {
	const withHint = actions.filter(action => action.hint);
	const full = withHint.map(action => ({id: action.id, keys: formatKeys(action), text: action.hint!}));
	if (widthOf(full) <= width) return full;
	const short = withHint.map(action => ({id: action.id, keys: formatKeys(action, 1), text: action.hint!}));
	const rankOf = (hint: Hint, index: number) => {
		const action = withHint[index]!;
		if (action.scope !== 'global') return index;
		// The key of the pane already open does nothing: it goes first.
		if (action.id === here) return Number.MAX_SAFE_INTEGER;
		const rank = globalRank.indexOf(action.id as ConsoleActionId);
		return withHint.length + (rank === -1 ? globalRank.length + index : rank);
	};
	const ranked = short.map((hint, index) => ({hint, index, rank: rankOf(hint, index)})).sort((a, b) => a.rank - b.rank);
	const chosen = new Set<number>();
	for (const {index} of ranked) {
		const candidate = short.filter((_, at) => chosen.has(at) || at === index);
		if (widthOf(candidate) <= width) chosen.add(index);
	}
	return short.filter((_, index) => chosen.has(index));
}

/** Memoized: the hints change only with the pane, a modal or the width. A notice (why a key did nothing) replaces them. */
export const KeyHints = memo(function KeyHints({keymap, notice, width, here}: {readonly keymap: readonly KeyAction[]; readonly notice?: string | undefined; readonly width: number; readonly here?: ConsoleActionId}) {
	if (notice !== undefined) {
		return (
			<Text wrap="truncate" color={color('warn')}>
				{notice}
			</Text>
		);
	}
	const hints = fitHints(keymap, width, here);
	return (
		<Text wrap="truncate">
			{hints.map((hint, index) => (
				<Text key={hint.id}>
					{index > 0 ? '  ' : ''}
					<Text bold color={color('accent')}>
						{hint.keys}
					</Text>{' '}
					<Text color={color('muted')}>{hint.text}</Text>
				</Text>
			))}
		</Text>
	);
});
