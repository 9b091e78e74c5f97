import {Box} from 'ink';
import {Text} from './text.js';
import type {ClusterView, MemberView} from '../../model/cluster-view.js';
import {memberLabel} from '../../model/cluster-view.js';
import {failureLabel} from '../../model/failure-label.js';
import {clockTime, formatLatency, formatRate, humanBytes, shortAge} from '../../model/format.js';
import {writeRates} from '../../model/history.js';
import {sparkline} from '../sparkline.js';
import {color} from '../theme.js';
import {describeStatusError, memberStateOf} from '../../model/member-state.js';
import {MemberMetrics} from './member-metrics.js';
import {memberState} from './members-table.js';

export interface MemberDetailsProps {
	readonly member: MemberView;
	readonly view: ClusterView;
	readonly now: number;
	readonly width: number;
	/** Whose member list the console shows, and when it was read: a serializable read may be stale. */
	readonly listedBy?: {readonly text: string; readonly at: number | undefined};
}

function Field({label, children, width}: {readonly label: string; readonly children: React.ReactNode; readonly width?: number}) {
	return (
		<Box flexShrink={0} width={width}>
			<Text wrap="truncate">
				<Text color={color('muted')}>{label.padEnd(14)}</Text>
				{children}
			</Text>
		</Box>
	);
}

function Row({children}: {readonly children: React.ReactNode}) {
	return <Box flexShrink={0}>{children}</Box>;
}

export function MemberDetails({member, view, now, width, listedBy}: MemberDetailsProps) {
	const status = member.status;
	const leader = view.members.find(candidate => candidate.isLeader);
	const lag = status && leader?.status ? leader.status.raftIndex - status.raftAppliedIndex : undefined;
	const rates = writeRates(member.history);
	const boxWidth = Math.min(width, 110);
	const half = Math.floor((boxWidth - 4) / 2);
	const sparkWidth = Math.max(10, Math.min(60, boxWidth - 30));
	const nameOf = (id: string) => view.members.find(candidate => candidate.id === id)?.name;
	const errors = [...(status?.errors ?? []).map(error => describeStatusError(error, nameOf)), ...(member.failure ? [`${failureLabel(member.failure)}: ${member.failure.message}`] : [])].join('; ');
	return (
		<Box flexDirection="column" flexShrink={0} borderStyle="round" paddingX={1} width={boxWidth}>
			<Text bold wrap="truncate">
				{memberLabel(member)} <Text color={color(memberStateOf(member).tone)}>{memberState(member, now)}</Text>
				{member.isLeader ? ' (leader)' : member.isLearner ? ' (learner)' : ''}
			</Text>
			<Row>
				<Field label="ID" width={half}>{member.id ?? 'unknown'}</Field>
				<Field label="version">{status?.version ?? '-'}</Field>
			</Row>
			<Field label="endpoint">{member.endpoint ?? 'none'}</Field>
			<Field label="client URLs">{member.clientUrls.join(', ') || 'none'}</Field>
			<Field label="peer URLs">{member.peerUrls.join(', ') || 'unknown'}</Field>
			<Row>
				<Field label="raft term" width={half}>{status ? String(status.raftTerm) : '-'}</Field>
				<Field label="raft index">{status ? `${status.raftIndex} (applied ${status.raftAppliedIndex})` : '-'}</Field>
			</Row>
			<Row>
				<Field label="DB size" width={half}>{status ? `${humanBytes(status.dbSize)} (in use ${humanBytes(status.dbSizeInUse)})` : '-'}</Field>
				<Field label="behind leader">{lag === undefined ? '-' : `${lag} entries`}</Field>
			</Row>
			{status?.dbSizeQuota !== undefined || status?.storageVersion !== undefined ? (
				// etcd 3.6+ reports both; 3.4 and 3.5 send neither, and the row is left out.
				<Row>
					<Field label="quota" width={half}>{status.dbSizeQuota === undefined ? '-' : `${humanBytes(Number(status.dbSizeQuota))} (${Math.round((status.dbSize / Number(status.dbSizeQuota)) * 100)}% allocated)`}</Field>
					<Field label="storage ver.">{status.storageVersion || '-'}</Field>
				</Row>
			) : null}
			{status?.downgradeInfo?.isEnabled ? <Field label="downgrade">{`in progress, to ${status.downgradeInfo.targetVersion || 'an older version'}`}</Field> : null}
			<Row>
				<Field label="alarms" width={half}>{member.alarms.length > 0 ? member.alarms.join(', ') : 'none'}</Field>
				<Field label="latency">{formatLatency(member.latencyMs)}</Field>
			</Row>
			<Field label="errors">{errors || 'none'}</Field>
			<Field label="last answer">{member.lastOkAt === undefined ? 'never' : `${clockTime(member.lastOkAt)} (${shortAge(now - member.lastOkAt)} ago)`}</Field>
			<Field label="writes/s">
				<Text color={color('accent')}>{sparkline(rates, sparkWidth)}</Text> {formatRate(rates.at(-1) ?? 0)}
			</Field>
			<Field label="DB size">
				<Text color={color('accent')}>{sparkline(member.history.map(sample => sample.dbSize), sparkWidth)}</Text>
			</Field>
			<Field label="latency">
				<Text color={color('accent')}>{sparkline(member.history.map(sample => sample.latencyMs), sparkWidth)}</Text>
			</Field>
			<MemberMetrics member={member} view={view} now={now} width={boxWidth - 4} />
			{listedBy ? (
				<Text color={color('muted')} wrap="truncate">
					{listedBy.text}
					{listedBy.at === undefined ? '' : `, ${shortAge(now - listedBy.at)} ago`}
				</Text>
			) : null}
			<Text color={color('muted')}>esc or enter closes</Text>
		</Box>
	);
}
