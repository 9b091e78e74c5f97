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

/**
 * Three lines, a line when the cluster ID changed or a raft term went back (model/identity.ts), and a line
 * when the members' etcd versions have a known problem (model/version-notes.ts).
 */
export function headerHeightFor(view: ClusterView): number {
	return 3 + (view.alerts.length > 0 ? 1 : 0) + (versionNotes(reportedVersions(view.members)).length > 0 ? 1 : 0);
}

/** The newest alert, marked so it reads as loud without colour too; older ones are in the log pane. */
function alertLine(view: ClusterView): string {
	const newest = view.alerts.at(-1)!;
	return `!! ${newest.text}${view.alerts.length > 1 ? ` (+${view.alerts.length - 1} more: 3 log)` : ''}`;
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
	// Before any member list answered, the voters are only the endpoints given: their count says nothing.
	const voters = view.hasMemberList ? String(view.voters) : '?';
	const waiting = view.pendingVoters > 0 ? `, ${view.pendingVoters} not answered yet` : '';
	const members = view.hasMemberList
		? `${view.reachableVoters}/${voters} voters up${waiting}, ${view.learners} learner${view.learners === 1 ? '' : 's'}`
		: `member list unknown, ${view.reachableVoters} of ${view.members.length} endpoint${view.members.length === 1 ? '' : 's'} answer${waiting}`;
	// Voters that have not answered yet are unknown, not down: how many more may fail is not known either.
	const tolerance = view.hasMemberList && view.pendingVoters === 0 ? String(view.tolerance) : '?';
	const notes = versionNotes(reportedVersions(view.members));
	return (
		<Box flexDirection="column" width={width} height={headerHeightFor(view)}>
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
							quorum {view.hasMemberList ? view.quorum : '?'}/{voters} tolerates {tolerance}
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
			{view.alerts.length > 0 ? (
				<Text wrap="truncate" bold color={color('bad')}>
					{alertLine(view)}
				</Text>
			) : null}
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
