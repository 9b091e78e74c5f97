import {Box} from 'ink';
import {Text} from './text.js';
import type {ClusterView, MemberView} from '../../model/cluster-view.js';
import {humanBytes, shortAge} from '../../model/format.js';
import {formatMs, windowWords, type FindingLevel} from '../../model/metrics-thresholds.js';
import type {MetricsReading} from '../../model/metrics-window.js';
import {sparkline} from '../sparkline.js';
import {color, type Tone} from '../theme.js';

export interface MemberMetricsProps {
	readonly member: MemberView;
	readonly view: ClusterView;
	readonly now: number;
	/** Inner width of the details box. */
	readonly width: number;
}

const labelWidth = 16;
const valueWidth = 20;
const levelTone: Readonly<Record<FindingLevel, Tone>> = {notice: 'warn', warning: 'warn', critical: 'bad'};

interface Item {
	readonly label: string;
	readonly value: string;
	readonly series: readonly number[];
	readonly tone?: Tone | undefined;
}

function Cell({item, width}: {readonly item: Item; readonly width: number}) {
	const sparkWidth = Math.max(0, Math.min(30, width - labelWidth - valueWidth - 1));
	const value = item.value.length > valueWidth - 1 ? `${item.value.slice(0, valueWidth - 2)}…` : item.value;
	return (
		<Box flexShrink={0} width={width}>
			<Text wrap="truncate">
				<Text color={color('muted')}>{item.label.padEnd(labelWidth)}</Text>
				<Text color={item.tone ? color(item.tone) : undefined}>{value.padEnd(valueWidth)}</Text>
			</Text>
			{sparkWidth > 0 ? (
				<Text wrap="truncate" color={color('accent')}>
					{sparkline(item.series, sparkWidth)}
				</Text>
			) : null}
		</Box>
	);
}

const ms = (value: number | undefined, none = '-') => (value === undefined ? none : formatMs(value));
const count = (value: number | undefined) => (value === undefined ? '-' : String(value));
const series = (history: readonly MetricsReading[], of: (reading: MetricsReading) => number | undefined) => history.map(reading => of(reading) ?? 0);

/** Every number the member's /metrics give, each with a sparkline of its last readings, two to a row. */
export function MemberMetrics({member, view, now, width}: MemberMetricsProps) {
	const track = member.metrics;
	if (!track) return <Text color={color('muted')}>metrics       not read yet</Text>;
	const reading = track.reading;
	const nameOf = (id: string) => view.members.find(candidate => candidate.id === id)?.name || id;
	const tone = (key: string) => {
		const level = track.error ? undefined : track.findings.find(finding => finding.key === key)?.level;
		return level ? levelTone[level] : undefined;
	};
	const history = track.history;
	const span = reading ? (reading.windowMs === undefined ? 'lifetime' : reading.windowMs === 0 ? 'no window yet' : `p99${windowWords(reading)}`) : '';
	const headline = track.error
		? `cannot be read (${shortAge(now - track.error.since)}): ${track.error.message}`
		: reading
			? `read ${shortAge(now - reading.at)} ago, ${span}`
			: 'not read yet';
	const peers = reading?.peers.map(peer => `${nameOf(peer.id)} ${ms(peer.p99Ms)}`).join(', ') ?? '';
	const fdsRatio = reading?.openFds !== undefined && reading.maxFds ? ` (${Math.round((reading.openFds / reading.maxFds) * 100)}%)` : '';
	const quotaUse = reading?.dbTotalSize !== undefined && reading.quotaBytes ? ` (${Math.round((reading.dbTotalSize / reading.quotaBytes) * 100)}% used)` : '';
	const items: Item[] = [
		{label: 'WAL fsync p99', value: ms(reading?.walFsyncP99Ms), series: series(history, r => r.walFsyncP99Ms), tone: tone('wal-fsync')},
		{label: 'commit p99', value: ms(reading?.backendCommitP99Ms), series: series(history, r => r.backendCommitP99Ms), tone: tone('backend-commit')},
		{
			label: 'peer RTT p99',
			value: reading?.peerRttP99Ms === undefined ? '-' : `${formatMs(reading.peerRttP99Ms)} ${nameOf(reading.worstPeer ?? '')}`,
			series: series(history, r => r.peerRttP99Ms),
			tone: tone('peer-rtt'),
		},
		{label: 'leader changes', value: reading?.leaderChanges === undefined ? '-' : `${reading.leaderChanges}${reading.leaderChangesRecent ? ` (${reading.leaderChangesRecent.count} recent)` : ''}`, series: series(history, r => r.leaderChanges), tone: tone('leader-changes')},
		{label: 'failed props', value: reading?.proposalsFailed === undefined ? '-' : `${reading.proposalsFailed}${reading.proposalsFailedRecent ? ` (+${reading.proposalsFailedRecent})` : ''}`, series: series(history, r => r.proposalsFailed), tone: tone('proposals-failed')},
		{label: 'pending props', value: count(reading?.proposalsPending), series: series(history, r => r.proposalsPending)},
		{label: 'has leader', value: reading?.hasLeader === undefined ? '-' : reading.hasLeader ? 'yes' : 'NO', series: series(history, r => (r.hasLeader === undefined ? undefined : r.hasLeader ? 1 : 0)), tone: reading?.hasLeader === false ? 'bad' : undefined},
		{label: 'slow applies', value: count(reading?.slowApply), series: series(history, r => r.slowApply)},
		{label: 'DB total', value: reading?.dbTotalSize === undefined ? '-' : `${humanBytes(reading.dbTotalSize)}${quotaUse}`, series: series(history, r => r.dbTotalSize)},
		{label: 'DB in use', value: reading?.dbTotalSizeInUse === undefined ? '-' : humanBytes(reading.dbTotalSizeInUse), series: series(history, r => r.dbTotalSizeInUse)},
		{label: 'quota', value: reading?.quotaBytes === undefined ? '-' : humanBytes(reading.quotaBytes), series: series(history, r => r.quotaBytes)},
		{label: 'open fds', value: reading?.openFds === undefined ? '-' : `${reading.openFds}/${reading.maxFds ?? '?'}${fdsRatio}`, series: series(history, r => r.openFds), tone: tone('fds')},
	];
	const isTwoUp = width >= 2 * (labelWidth + valueWidth + 8);
	const cellWidth = isTwoUp ? Math.floor((width - 1) / 2) : width;
	const rows: Item[][] = [];
	for (let index = 0; index < items.length; index += isTwoUp ? 2 : 1) rows.push(items.slice(index, index + (isTwoUp ? 2 : 1)));
	return (
		<Box flexDirection="column" flexShrink={0}>
			<Text wrap="truncate">
				<Text color={color('muted')}>{'metrics'.padEnd(14)}</Text>
				<Text color={track.error ? color('warn') : undefined}>{headline}</Text>
			</Text>
			{rows.map((row, index) => (
				<Box key={index} flexShrink={0}>
					{row.map(item => (
						<Cell key={item.label} item={item} width={cellWidth} />
					))}
				</Box>
			))}
			{peers ? (
				<Text wrap="truncate">
					<Text color={color('muted')}>{'peers p99'.padEnd(labelWidth)}</Text>
					{peers}
				</Text>
			) : null}
			{track.error
				? null
				: track.findings.map(finding => (
						<Text key={finding.key} wrap="truncate" color={color(levelTone[finding.level])}>
							{finding.level === 'notice' ? 'note' : finding.level.toUpperCase()} {finding.text}
						</Text>
					))}
		</Box>
	);
}
