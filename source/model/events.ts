import type {ClusterView, MemberView} from './cluster-view.js';
import {failureLabel} from './failure-label.js';
import {memberLabel} from './cluster-view.js';
import {clearedText, type Finding} from './metrics-thresholds.js';

export type ClusterEventType =
	| 'leader-changed'
	| 'leader-lost'
	| 'term-changed'
	| 'cluster-id-changed'
	| 'term-went-back'
	| 'member-down'
	| 'member-denied'
	| 'member-up'
	| 'member-added'
	| 'member-removed'
	| 'member-promoted'
	| 'alarm-raised'
	| 'alarm-cleared'
	| 'metrics-threshold-crossed'
	| 'metrics-threshold-cleared'
	| 'metrics-unreadable'
	| 'metrics-readable';

export interface ClusterEvent {
	readonly at: number;
	readonly type: ClusterEventType;
	readonly severity: 'info' | 'warn' | 'error';
	readonly text: string;
}

export const eventLogLength = 500;

function byKey(view: ClusterView | undefined): Map<string, MemberView> {
	return new Map((view?.members ?? []).map(member => [member.key, member]));
}

/** What changed between two views, as log entries. The first view only reports what is already wrong. */
export function diffEvents(previous: ClusterView | undefined, next: ClusterView, at: number): ClusterEvent[] {
	const events: ClusterEvent[] = [];
	const add = (type: ClusterEventType, severity: ClusterEvent['severity'], text: string) => events.push({at, type, severity, text});

	// The term first: an election raises it, then names its winner, who leads at that term.
	if (previous && previous.raftTerm > 0 && next.raftTerm > previous.raftTerm) {
		add('term-changed', 'warn', `raft term ${previous.raftTerm} -> ${next.raftTerm}`);
	}
	// Before anything answered there was nothing to change from: a leader seen first is not "elected".
	const hasHistory = previous?.lastAnswerAt !== undefined;
	if (next.leader && hasHistory && previous?.leader?.id !== next.leader.id) {
		if (previous?.leader) add('leader-changed', 'warn', `leader changed: ${previous.leader.name} -> ${next.leader.name} (term ${next.leader.term})`);
		else add('leader-changed', 'info', `leader elected: ${next.leader.name} (term ${next.leader.term})`);
	} else if (!next.leader && previous?.leader) {
		add('leader-lost', 'error', `no leader (last was ${previous.leader.name})`);
	}

	const before = byKey(previous);
	for (const member of next.members) {
		const old = before.get(member.key);
		const name = memberLabel(member);
		if (member.health === 'unreachable' && member.failure?.kind === 'permission-denied') {
			// Up, but refusing this user: not a member going down, and the header says why once.
			if (old?.failure?.kind !== 'permission-denied') add('member-denied', 'error', `${name} refuses this user: permission denied`);
		} else if (member.health === 'unreachable' && old?.health !== 'unreachable') {
			add('member-down', 'error', `${name} is unreachable: ${failureLabel(member.failure)} (${member.failure?.message ?? ''})`);
		} else if (member.health === 'ok' && old?.health === 'unreachable') {
			add('member-up', 'info', `${name} answers again`);
		}
		if (old?.isLearner && !member.isLearner && member.health === 'ok') add('member-promoted', 'info', `${name} promoted to voter`);
		metricsEvents(old, member, name, add);
	}
	// Another cluster's members are not members added or removed: the cluster ID alert says what happened.
	const isSameCluster = previous?.id === undefined || next.id === undefined || previous.id === next.id;
	if (previous?.hasMemberList && next.hasMemberList && isSameCluster) {
		const nextIds = new Set(next.members.map(member => member.id).filter(Boolean));
		const oldIds = new Set(previous.members.map(member => member.id).filter(Boolean));
		for (const member of next.members) {
			if (member.id && !oldIds.has(member.id)) add('member-added', 'info', `member ${memberLabel(member)} (${member.id}) added`);
		}
		for (const member of previous.members) {
			if (member.id && !nextIds.has(member.id)) add('member-removed', 'warn', `member ${memberLabel(member)} (${member.id}) removed`);
		}
	}

	const alarmKey = (alarm: {memberId: string; alarm: string}) => `${alarm.memberId}/${alarm.alarm}`;
	const oldAlarms = new Set((previous?.alarms ?? []).map(alarmKey));
	const newAlarms = new Set(next.alarms.map(alarmKey));
	const nameOf = (id: string) => next.members.find(member => member.id === id)?.name || id;
	for (const alarm of next.alarms) {
		if (!oldAlarms.has(alarmKey(alarm))) add('alarm-raised', 'error', `alarm ${alarm.alarm} raised on ${nameOf(alarm.memberId)}`);
	}
	for (const alarm of previous?.alarms ?? []) {
		if (!newAlarms.has(alarmKey(alarm))) add('alarm-cleared', 'info', `alarm ${alarm.alarm} cleared on ${nameOf(alarm.memberId)}`);
	}
	return events;
}

const findingSeverity: Readonly<Record<Finding['level'], ClusterEvent['severity']>> = {notice: 'info', warning: 'warn', critical: 'error'};

/** A threshold crossed, changed level or cleared, and /metrics becoming unreadable or readable again. */
function metricsEvents(old: MemberView | undefined, member: MemberView, name: string, add: (type: ClusterEventType, severity: ClusterEvent['severity'], text: string) => void): void {
	const before = old?.metrics;
	const now = member.metrics;
	if (!now || before === now) return;
	if (now.error && !before?.error && member.health !== 'unreachable') {
		add('metrics-unreadable', 'warn', `${name}: metrics cannot be read: ${now.error.message}`);
	} else if (!now.error && before?.error && old?.health !== 'unreachable') {
		add('metrics-readable', 'info', `${name}: metrics can be read again`);
	}
	// While unreadable nothing changes; on recovery only what changed since the last reading is news.
	if (now.error || !now.reading) return;
	const previous = new Map((before?.findings ?? []).map(finding => [finding.key, finding]));
	for (const finding of now.findings) {
		if (previous.get(finding.key)?.level === finding.level) continue;
		add('metrics-threshold-crossed', findingSeverity[finding.level], `${name}: ${finding.text}`);
	}
	const current = new Set(now.findings.map(finding => finding.key));
	for (const finding of before?.findings ?? []) {
		if (!current.has(finding.key)) add('metrics-threshold-cleared', 'info', `${name}: ${clearedText(finding.key, now.reading)}`);
	}
}

export function appendEvents(log: readonly ClusterEvent[], events: readonly ClusterEvent[], length = eventLogLength): readonly ClusterEvent[] {
	if (events.length === 0) return log;
	const next = [...log, ...events];
	return Object.freeze(next.length > length ? next.slice(next.length - length) : next);
}
