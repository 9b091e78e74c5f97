import {Box} from 'ink';
import {Text} from './text.js';
import type {ClusterView, MemberView} from '../../model/cluster-view.js';
import {memberLabel} from '../../model/cluster-view.js';
import {failureLabel} from '../../model/failure-label.js';
import {formatLatency, humanBytes, shortAge} from '../../model/format.js';
import {writeRates} from '../../model/history.js';
import {sparkline} from '../sparkline.js';
import {color, memberTone} from '../theme.js';

export interface MembersTableProps {
	readonly view: ClusterView;
	readonly selectedKey: string | undefined;
	readonly now: number;
	readonly width: number;
	/** Member ID -> what maintenance is doing to it ("defragmenting"), shown as its state. */
	readonly busy?: Readonly<Record<string, string>>;
}

interface Column {
	readonly title: string;
	readonly width: number;
	readonly isRight?: boolean;
	readonly cell: (member: MemberView, now: number) => string;
}

const stateWidth = 13;

export function memberState(member: MemberView, now: number): string {
	switch (member.health) {
		case 'ok':
			return member.alarms.length > 0 ? `ok ${member.alarms.join(',')}` : 'ok';
		case 'unreachable':
		{
			const label = failureLabel(member.failure, 'down');
			const withAge = `${label} ${shortAge(now - (member.downSince ?? now))}`;
			// "tunnel down 3s" is wider than the column: the words matter more than the age.
			return withAge.length <= stateWidth ? withAge : label;
		}
		case 'unstarted':
			return 'unstarted';
		case 'pending':
			return 'waiting';
	}
}

function role(member: MemberView): string {
	if (member.isLeader) return 'leader';
	if (member.isLearner) return 'learner';
	return member.status ? 'follower' : '-';
}

const dash = '-';
const number = (value: number | undefined) => (value === undefined ? dash : String(value));

const baseColumns: readonly Column[] = [
	{title: 'NAME', width: 12, cell: member => memberLabel(member)},
	{title: 'STATE', width: stateWidth, cell: memberState},
	{title: 'ROLE', width: 8, cell: role},
	{title: 'TERM', width: 5, isRight: true, cell: member => number(member.status?.raftTerm)},
	{title: 'INDEX', width: 8, isRight: true, cell: member => number(member.status?.raftIndex)},
	{title: 'APPLIED', width: 8, isRight: true, cell: member => number(member.status?.raftAppliedIndex)},
	{title: 'DB', width: 8, isRight: true, cell: member => (member.status ? humanBytes(member.status.dbSize) : dash)},
	{title: 'LAT', width: 7, isRight: true, cell: member => (member.latencyMs === undefined ? dash : formatLatency(member.latencyMs))},
];

const idColumn: Column = {title: 'ID', width: 16, cell: member => member.id ?? dash};
const inUseColumn: Column = {title: 'IN USE', width: 8, isRight: true, cell: member => (member.status ? humanBytes(member.status.dbSizeInUse) : dash)};
const versionColumn: Column = {title: 'VERSION', width: 8, cell: member => member.status?.version ?? dash};
const endpointColumn: Column = {title: 'ENDPOINT', width: 24, cell: member => member.endpoint ?? dash};

/** Columns that fit: the essentials at 80 columns, more as the terminal widens. */
export function columnsFor(width: number): {columns: readonly Column[]; sparkWidth: number} {
	const used = (columns: readonly Column[]) => 2 + columns.reduce((sum, column) => sum + column.width + 1, 0);
	let columns: Column[] = [...baseColumns];
	for (const extra of [idColumn, inUseColumn, versionColumn, endpointColumn]) {
		if (used([...columns, extra]) + 12 <= width) columns = [...columns, extra];
	}
	const room = width - used(columns) - 1;
	return {columns, sparkWidth: room >= 8 ? Math.min(room, 40) : 0};
}

function fit(text: string, width: number, isRight = false): string {
	const clipped = text.length > width ? `${text.slice(0, width - 1)}…` : text;
	return isRight ? clipped.padStart(width) : clipped.padEnd(width);
}

export function MembersTable({view, selectedKey, now, width, busy = {}}: MembersTableProps) {
	const {columns, sparkWidth} = columnsFor(width);
	const header = '  ' + columns.map(column => fit(column.title, column.width, column.isRight)).join(' ') + (sparkWidth > 0 ? ` ${fit('WRITES/s', sparkWidth)}` : '');
	return (
		<Box flexDirection="column" width={width}>
			<Text bold wrap="truncate">
				{header}
			</Text>
			{view.members.map(member => {
				const isSelected = member.key === selectedKey;
				// A member the maintenance pane is defragmenting blocks its answers: it is busy, not hung.
				const work = member.id ? busy[member.id] : undefined;
				const cells = columns.map(column => fit(work && column.title === 'STATE' ? work : column.cell(member, now), column.width, column.isRight));
				const [name, state, ...rest] = cells;
				const rates = writeRates(member.history);
				// The sparkline is its own Text: Ink measures each Text's whole string, and block characters
				// send a string down string-width's slow path; the rest of the row stays plain ASCII.
				return (
					<Box key={member.key} width={width}>
						<Text wrap="truncate" inverse={isSelected}>
							{isSelected ? '> ' : '  '}
							<Text bold={member.isLeader}>{name}</Text> <Text color={color(work ? 'accent' : memberTone(member.health))}>{state}</Text> {rest.join(' ')}
						</Text>
						{sparkWidth > 0 ? (
							<Text wrap="truncate" inverse={isSelected} color={color('accent')}>
								{' '}
								{sparkline(rates, sparkWidth)}
							</Text>
						) : null}
					</Box>
				);
			})}
		</Box>
	);
}
