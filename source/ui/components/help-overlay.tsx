import {Box} from 'ink';
import {Text} from './text.js';
import {formatKeys, type KeyAction, type Scope} from '../keymap.js';
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

const scopeTitles: Partial<Record<Scope, string>> = {global: 'everywhere', dashboard: 'dashboard (1)', snapshots: 'snapshots (2)', maintenance: 'maintenance (4)', modal: 'in an overlay'};

interface Group {
	readonly scope: Scope;
	readonly actions: ReadonlyArray<KeyAction<'console'>>;
}

/** The keymap's actions by scope, in the order the scopes first appear. */
export function groupsOf(keymap: ReadonlyArray<KeyAction<'console'>>): Group[] {
	const groups: Group[] = [];
	for (const action of keymap) {
		const group = groups.find(candidate => candidate.scope === action.scope);
		if (group) (group.actions as Array<KeyAction<'console'>>).push(action);
		else groups.push({scope: action.scope, actions: [action]});
	}
	return groups;
}

/**
 * Whole groups into two columns, the split that makes the taller column shortest: a pane's keys are never
 * split across the columns. `hasTitles` counts a title line per group.
 */
export function splitGroups(groups: readonly Group[], hasTitles: boolean): {left: Group[]; right: Group[]; rows: number} {
	const linesOf = (part: readonly Group[]) => part.reduce((sum, group) => sum + group.actions.length + (hasTitles ? 1 : 0), 0);
	let best = {left: [...groups], right: [] as Group[], rows: linesOf(groups)};
	for (let at = 1; at < groups.length; at++) {
		const left = groups.slice(0, at);
		const right = groups.slice(at);
		const rows = Math.max(linesOf(left), linesOf(right));
		if (rows < best.rows) best = {left, right, rows};
	}
	return best;
}

function Column({groups, hasTitles, reasonOf}: {readonly groups: readonly Group[]; readonly hasTitles: boolean; readonly reasonOf: (action: KeyAction<'console'>) => string | undefined}) {
	return (
		<Box flexDirection="column" flexBasis="50%" flexShrink={1} marginRight={2}>
			{groups.map(group => (
				<Box key={group.scope} flexDirection="column">
					{hasTitles ? (
						<Text bold color={color('muted')} wrap="truncate">
							{scopeTitles[group.scope] ?? group.scope}
						</Text>
					) : null}
					{group.actions.map(action => (
						<Entry key={action.id} action={action} reason={reasonOf(action)} />
					))}
				</Box>
			))}
		</Box>
	);
}

export interface HelpOverlayProps {
	readonly keymap: ReadonlyArray<KeyAction<'console'>>;
	readonly isReadOnly: boolean;
	readonly reasonOf: (action: KeyAction<'console'>) => string | undefined;
	/** Rows the overlay may take, its border included. */
	readonly height: number;
}

/** The console's keys by where they work, each pane's keys together; each says when it is off and why. */
export function HelpOverlay({keymap, isReadOnly, reasonOf, height}: HelpOverlayProps) {
	const groups = groupsOf(keymap);
	// Border and title take three rows; the group titles go when the keys would not fit with them.
	const hasTitles = splitGroups(groups, true).rows <= height - 3;
	const {left, right} = splitGroups(groups, hasTitles);
	return (
		<Box flexDirection="column" borderStyle="round" paddingX={1}>
			{/* The closing hint shares the title line: with the Maintenance pane's keys the map needs every row of a 24-line terminal. */}
			<Text wrap="truncate">
				<Text bold>Keys{isReadOnly ? ' (read-only: actions that change the cluster are off)' : ''}</Text>
				<Text color={color('muted')}> - esc or ? closes this help</Text>
			</Text>
			<Box flexDirection="row">
				<Column groups={left} hasTitles={hasTitles} reasonOf={reasonOf} />
				<Column groups={right} hasTitles={hasTitles} reasonOf={reasonOf} />
			</Box>
		</Box>
	);
}
