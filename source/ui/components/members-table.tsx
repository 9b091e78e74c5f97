import {Box} from 'ink';
import {Text} from './text.js';
import type {ClusterView, MemberView} from '../../model/cluster-view.js';
import {memberLabel} from '../../model/cluster-view.js';
import {memberStateOf} from '../../model/member-state.js';
import {formatLatency, humanBytes, shortAge} from '../../model/format.js';
import {writeRates} from '../../model/history.js';
import type {FindingKey, FindingLevel} from '../../model/metrics-thresholds.js';
import type {MetricsReading} from '../../model/metrics-window.js';
import {sparkline} from '../sparkline.js';
import {color, type Tone} from '../theme.js';

export interface MembersTableProps {
	readonly view: ClusterView;
	readonly selectedKey: string | undefined;
	readonly now: number;
	readonly width: number;
	/** Member ID -> what maintenance is doing to it ("defragmenting"), shown as its state. */
	readonly busy?: Readonly<Record<string, string>>;
}

const stateWidth = 13;

/**
 * The member's state word (model/member-state.ts); a member that does not answer also says for how long
 * it has been silent: since its last answer, or since the first failure when it never answered.
 */
export function memberState(member: MemberView, now: number): string {
	const {word} = memberStateOf(member);
	if (member.health !== 'unreachable') return word;
	const silentSince = member.lastOkAt ?? member.downSince ?? now;
	const withAge = `${word} ${shortAge(now - silentSince)}`;
	// "tunnel down 3s" is wider than the column: the words matter more than the age.
	return withAge.length <= stateWidth ? withAge : word;
}

function role(member: MemberView): string {
	if (member.isLeader) return 'leader';
	if (member.isLearner) return 'learner';
	return member.status ? 'follower' : '-';
}

const dash = '-';
const number = (value: number | undefined) => (value === undefined ? dash : String(value));

interface Column {
	readonly title: string;
	readonly width: number;
	readonly isRight?: boolean;
	readonly cell: (member: MemberView, now: number) => string;
	/** A /metrics latency: drawn in its own Text, coloured by the threshold it crosses. */
	readonly finding?: FindingKey;
}

/** A p99 from the member's /metrics: "-" when nothing was observed (or no window yet), "n/a" when unreadable; "!" marks a crossed alert threshold. */
function latencyCell(of: (reading: MetricsReading) => number | undefined, key: FindingKey) {
	return (member: MemberView) => {
		const track = member.metrics;
		if (!track) return dash;
		if (track.error) return 'n/a';
		const value = track.reading ? of(track.reading) : undefined;
		if (value === undefined) return dash;
		const level = track.findings.find(finding => finding.key === key)?.level;
		return `${formatLatency(value)}${level === 'warning' || level === 'critical' ? '!' : ''}`;
	};
}

const columns = {
	name: {title: 'NAME', width: 12, cell: member => memberLabel(member)},
	state: {title: 'STATE', width: stateWidth, cell: memberState},
	role: {title: 'ROLE', width: 8, cell: role},
	term: {title: 'TERM', width: 5, isRight: true, cell: member => number(member.status?.raftTerm)},
	index: {title: 'INDEX', width: 8, isRight: true, cell: member => number(member.status?.raftIndex)},
	applied: {title: 'APPLIED', width: 8, isRight: true, cell: member => number(member.status?.raftAppliedIndex)},
	db: {title: 'DB', width: 8, isRight: true, cell: member => (member.status ? humanBytes(member.status.dbSize) : dash)},
	lat: {title: 'LAT', width: 7, isRight: true, cell: member => (member.latencyMs === undefined ? dash : formatLatency(member.latencyMs))},
	fsync: {title: 'FSYNC p99', width: 9, isRight: true, finding: 'wal-fsync', cell: latencyCell(reading => reading.walFsyncP99Ms, 'wal-fsync')},
	commit: {title: 'COMMIT p99', width: 10, isRight: true, finding: 'backend-commit', cell: latencyCell(reading => reading.backendCommitP99Ms, 'backend-commit')},
	rtt: {title: 'RTT p99', width: 7, isRight: true, finding: 'peer-rtt', cell: latencyCell(reading => reading.peerRttP99Ms, 'peer-rtt')},
	id: {title: 'ID', width: 16, cell: member => member.id ?? dash},
	inUse: {title: 'IN USE', width: 8, isRight: true, cell: member => (member.status ? humanBytes(member.status.dbSizeInUse) : dash)},
	version: {title: 'VERSION', width: 8, cell: member => member.status?.version ?? dash},
	endpoint: {title: 'ENDPOINT', width: 24, cell: member => member.endpoint ?? dash},
} satisfies Record<string, Column>;

type ColumnId = keyof typeof columns;

/** Left to right. */
const order: readonly ColumnId[] = ['name', 'state', 'role', 'term', 'index', 'applied', 'db', 'lat', 'fsync', 'commit', 'rtt', 'id', 'inUse', 'version', 'endpoint'];
/** Most wanted first: at 80 columns the raft numbers give way to the disk and network latencies. */
const core: readonly ColumnId[] = ['name', 'state', 'role', 'lat', 'fsync', 'commit', 'rtt', 'term', 'applied', 'index', 'db'];
const extras: readonly ColumnId[] = ['id', 'inUse', 'version', 'endpoint'];
const metricsColumns: ReadonlySet<ColumnId> = new Set(['fsync', 'commit', 'rtt']);
const minSpark = 8;

/**
 * Columns that fit: the core by priority, then extras while the sparkline keeps 12 columns; the
 * sparkline takes the rest. Without /metrics (none read) the latency columns are left out.
 */
export function columnsFor(width: number, hasMetrics = true): {columns: readonly Column[]; sparkWidth: number} {
	const rowWidth = (ids: ReadonlySet<ColumnId>) => 2 + [...ids].reduce((sum, id) => sum + columns[id].width + 1, 0) - 1;
	const chosen = new Set<ColumnId>();
	for (const id of core) {
		if (!hasMetrics && metricsColumns.has(id)) continue;
		if (rowWidth(new Set([...chosen, id])) <= width) chosen.add(id);
	}
	for (const id of extras) {
		if (rowWidth(new Set([...chosen, id])) + 12 <= width) chosen.add(id);
	}
	const room = width - rowWidth(chosen) - 1;
	return {columns: order.filter(id => chosen.has(id)).map(id => columns[id]), sparkWidth: room >= minSpark ? Math.min(room, 40) : 0};
}

function fit(text: string, width: number, isRight = false): string {
	const clipped = text.length > width ? `${text.slice(0, width - 1)}…` : text;
	return isRight ? clipped.padStart(width) : clipped.padEnd(width);
}

const findingTone: Readonly<Record<FindingLevel, Tone>> = {notice: 'warn', warning: 'warn', critical: 'bad'};

function metricsTone(member: MemberView, key: FindingKey | undefined): string | undefined {
	if (!key) return undefined;
	const level = member.metrics?.error ? undefined : member.metrics?.findings.find(finding => finding.key === key)?.level;
	return level ? color(findingTone[level]) : undefined;
}

export function MembersTable({view, selectedKey, now, width, busy = {}}: MembersTableProps) {
	const {columns, sparkWidth} = columnsFor(width, view.members.some(member => member.metrics !== undefined));
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
				const restColumns = columns.slice(2);
				const rates = writeRates(member.history);
				// The sparkline is its own Text: Ink measures each Text's whole string, and block characters
				// send a string down string-width's slow path; the rest of the row stays plain ASCII.
				return (
					<Box key={member.key} width={width}>
						<Text wrap="truncate" inverse={isSelected}>
							{isSelected ? '> ' : '  '}
							<Text bold={member.isLeader}>{name}</Text> <Text color={color(work ? 'accent' : memberStateOf(member).tone)}>{state}</Text>
							{rest.map((cell, index) => {
								const tone = metricsTone(member, restColumns[index]?.finding);
								return tone ? <Text key={index} color={tone}>{` ${cell}`}</Text> : ` ${cell}`;
							})}
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
