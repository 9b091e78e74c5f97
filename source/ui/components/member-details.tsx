import {Box, Text} from 'ink';
import type {ClusterView, MemberView} from '../../model/cluster-view.js';
import {memberLabel} from '../../model/cluster-view.js';
import {clockTime, formatLatency, formatRate, humanBytes, shortAge} from '../../model/format.js';
import {writeRates} from '../../model/history.js';
import {sparkline} from '../sparkline.js';
import {color, memberTone} from '../theme.js';
import {memberState} from './members-table.js';

export interface MemberDetailsProps {
	readonly member: MemberView;
	readonly view: ClusterView;
	readonly now: number;
	readonly width: number;
}

function Field({label, children}: {readonly label: string; readonly children: React.ReactNode}) {
	return (
		<Text wrap="truncate">
			<Text color={color('muted')}>{label.padEnd(14)}</Text>
			{children}
		</Text>
	);
}

export function MemberDetails({member, view, now, width}: MemberDetailsProps) {
	const status = member.status;
	const leader = view.members.find(candidate => candidate.isLeader);
	const lag = status && leader?.status ? leader.status.raftIndex - status.raftAppliedIndex : undefined;
	const rates = writeRates(member.history);
	const sparkWidth = Math.max(10, Math.min(60, width - 30));
	return (
		<Box flexDirection="column" borderStyle="round" paddingX={1} width={Math.min(width, 100)}>
			<Text bold>
				{memberLabel(member)} <Text color={color(memberTone(member.health))}>{memberState(member, now)}</Text>
				{member.isLeader ? ' (leader)' : member.isLearner ? ' (learner)' : ''}
			</Text>
			<Field label="ID">{member.id ?? 'unknown'}</Field>
			<Field label="endpoint">{member.endpoint ?? 'none'}</Field>
			<Field label="client URLs">{member.clientUrls.join(', ') || 'none'}</Field>
			<Field label="peer URLs">{member.peerUrls.join(', ') || 'unknown'}</Field>
			<Field label="version">{status?.version ?? '-'}</Field>
			<Field label="raft term">{status ? String(status.raftTerm) : '-'}</Field>
			<Field label="raft index">{status ? `${status.raftIndex} (applied ${status.raftAppliedIndex})` : '-'}</Field>
			<Field label="behind leader">{lag === undefined ? '-' : `${lag} entries`}</Field>
			<Field label="DB size">{status ? `${humanBytes(status.dbSize)} (in use ${humanBytes(status.dbSizeInUse)})` : '-'}</Field>
			<Field label="latency">{formatLatency(member.latencyMs)}</Field>
			<Field label="alarms">{member.alarms.length > 0 ? member.alarms.join(', ') : 'none'}</Field>
			<Field label="errors">{[...(status?.errors ?? []), ...(member.failure ? [`${member.failure.kind}: ${member.failure.message}`] : [])].join('; ') || 'none'}</Field>
			<Field label="last answer">{member.lastOkAt === undefined ? 'never' : `${clockTime(member.lastOkAt)} (${shortAge(now - member.lastOkAt)} ago)`}</Field>
			<Field label="writes">
				<Text color={color('accent')}>{sparkline(rates, sparkWidth)}</Text> {formatRate(rates.at(-1) ?? 0)}
			</Field>
			<Field label="DB size">
				<Text color={color('accent')}>{sparkline(member.history.map(sample => sample.dbSize), sparkWidth)}</Text>
			</Field>
			<Field label="latency">
				<Text color={color('accent')}>{sparkline(member.history.map(sample => sample.latencyMs), sparkWidth)}</Text>
			</Field>
			<Text color={color('muted')}>esc or enter closes</Text>
		</Box>
	);
}
