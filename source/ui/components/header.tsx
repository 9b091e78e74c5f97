import {Box} from 'ink';
import {Text} from './text.js';
import type {ClusterView} from '../../model/cluster-view.js';
import {formatDuration} from '../../model/format.js';
import {color, clusterTone} from '../theme.js';
import {nospaceAdvice} from '../../model/maintenance.js';

export interface HeaderProps {
	readonly view: ClusterView;
	readonly now: number;
	readonly intervalMs: number;
	readonly isPaused: boolean;
	readonly isReadOnly: boolean;
	readonly width: number;
	/** Members maintenance is working on: their timeouts are expected, and said so. */
	readonly busy?: Readonly<Record<string, string>>;
}

import {reportedVersions, versionNotes, type VersionNote} from '../../model/version-notes.js';

/** Three lines, and a fourth when the members' etcd versions have a known problem (model/version-notes.ts). */
export function headerHeightFor(view: ClusterView): number {
	return versionNotes(reportedVersions(view.members)).length > 0 ? 4 : 3;
}

function noteLine(notes: readonly VersionNote[]): string {
	return `note: ${notes[0]!.text}${notes.length > 1 ? ` (+${notes.length - 1} more: etcdtop status)` : ''}`;
}

function dataAge(view: ClusterView, now: number): string {
	if (view.lastAnswerAt === undefined) return 'no data yet';
	return `data ${formatDuration(Math.max(0, now - view.lastAnswerAt))} old`;
}

/** Three lines: the verdict and the controls, the cluster's identity, and why it is not healthy. */
export function Header({view, now, intervalMs, isPaused, isReadOnly, width, busy = {}}: HeaderProps) {
	const advice = nospaceAdvice(view, isReadOnly);
	const working = Object.entries(busy).map(([id, what]) => `${view.members.find(member => member.id === id)?.name || id} is ${what}`);
	const reasons = [...(advice ? [advice] : []), ...working, ...view.reasons];
	const tone = clusterTone(view.health);
	const leader = view.leader ? view.leader.name : 'none';
	const members = `${view.reachableVoters}/${view.voters} voters up, ${view.learners} learner${view.learners === 1 ? '' : 's'}`;
	const notes = versionNotes(reportedVersions(view.members));
	return (
		<Box flexDirection="column" width={width} height={notes.length > 0 ? 4 : 3}>
			<Box width={width}>
				<Box flexGrow={1} flexShrink={1}>
					<Text wrap="truncate">
						<Text bold color={color('accent')}>etcdtop</Text>{' '}
						<Text bold inverse color={color(tone)}>
							{` ${view.health.toUpperCase()} `}
						</Text>
						<Text> leader </Text>
						<Text bold>{leader}</Text>
						<Text>
							{' '}
							quorum {view.quorum}/{view.voters} tolerates {view.tolerance}
						</Text>
					</Text>
				</Box>
				<Box flexShrink={0}>
					<Text>
						{isReadOnly ? (
							<Text bold inverse color={color('warn')}>
								{' RO '}
							</Text>
						) : null}
						<Text color={color(isPaused ? 'warn' : 'muted')}>
							{' '}
							{isPaused ? 'PAUSED ' : ''}every {formatDuration(intervalMs)} {dataAge(view, now)}
						</Text>
					</Text>
				</Box>
			</Box>
			<Text wrap="truncate" color={color('muted')}>
				cluster {view.id ?? '?'} term {view.raftTerm} rev {view.revision} {members}
			</Text>
			<Text wrap="truncate" color={color(reasons.length > 0 ? tone : 'good')}>
				{reasons.length > 0 ? reasons.join('; ') : 'all members answer; no alarms'}
			</Text>
			{notes.length > 0 ? (
				<Text wrap="truncate" color={color('warn')}>
					{noteLine(notes)}
				</Text>
			) : null}
		</Box>
	);
}
