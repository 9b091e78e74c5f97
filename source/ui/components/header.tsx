import {Box, Text} from 'ink';
import type {ClusterView} from '../../model/cluster-view.js';
import {formatDuration} from '../../config/duration.js';
import {color, clusterTone} from '../theme.js';

export interface HeaderProps {
	readonly view: ClusterView;
	readonly now: number;
	readonly intervalMs: number;
	readonly isPaused: boolean;
	readonly isReadOnly: boolean;
	readonly width: number;
}

function dataAge(view: ClusterView, now: number): string {
	if (view.lastAnswerAt === undefined) return 'no data yet';
	return `data ${formatDuration(Math.max(0, now - view.lastAnswerAt))} old`;
}

export function Header({view, now, intervalMs, isPaused, isReadOnly, width}: HeaderProps) {
	const tone = clusterTone(view.health);
	const leader = view.leader ? view.leader.name : 'none';
	const reasons = view.reasons.length > 0 ? view.reasons.join('; ') : `${view.reachableVoters}/${view.voters} voters reachable, ${view.learners} learner${view.learners === 1 ? '' : 's'}`;
	return (
		<Box flexDirection="column" width={width}>
			<Box width={width}>
				<Text wrap="truncate">
					<Text bold color={color('accent')}>etcdtop</Text>
					<Text> cluster {view.id ?? '?'} </Text>
					<Text bold inverse color={color(tone)}>
						{` ${view.health.toUpperCase()} `}
					</Text>
					<Text> leader </Text>
					<Text bold>{leader}</Text>
					<Text>
						{' '}
						quorum {view.quorum}/{view.voters} tolerates {view.tolerance} rev {view.revision} term {view.raftTerm}
					</Text>
					{isReadOnly ? <Text bold color={color('warn')}> RO</Text> : null}
					<Text color={color('muted')}>
						{' '}
						{isPaused ? 'PAUSED' : `every ${formatDuration(intervalMs)}`} {dataAge(view, now)}
					</Text>
				</Text>
			</Box>
			<Text wrap="truncate" color={color(view.reasons.length > 0 ? tone : 'muted')}>
				{reasons}
			</Text>
		</Box>
	);
}
