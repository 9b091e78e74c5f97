import type {MemberView} from './cluster-view.js';
import {failureLabel} from './failure-label.js';
import {reportsNoLeader} from './leader.js';

/** How a member's state reads, in one word a script can match and the tone a screen draws it in. */
export interface MemberState {
	/**
	 * `ok` only when the member answers with no error and no alarm of its own. Otherwise what is wrong:
	 * its own alarm (`NOSPACE`, `CORRUPT`), `no-leader` when its Status says it has none, `errors` for any
	 * other error it reports, a failure kind (`timeout`, `refused`, …), `unstarted`, or `waiting` before its
	 * first answer.
	 */
	readonly word: string;
	readonly tone: 'good' | 'warn' | 'bad';
}

const isAlarm = (error: string) => /^memberID:\d+ alarm:/.test(error.trim());

/** The one state word of a member, for the console's rows and details and for `status`. */
export function memberStateOf(member: Pick<MemberView, 'health' | 'failure' | 'status' | 'alarms'>): MemberState {
	switch (member.health) {
		case 'unreachable':
			return {word: failureLabel(member.failure, 'unreachable'), tone: 'bad'};
		case 'unstarted':
			return {word: 'unstarted', tone: 'warn'};
		case 'pending':
			return {word: 'waiting', tone: 'warn'};
		case 'ok':
			break;
	}
	const errors = member.status?.errors ?? [];
	// Its own alarm first: NOSPACE is why its writes fail, whatever else it says.
	if (member.alarms.length > 0) return {word: member.alarms.join(','), tone: 'bad'};
	if (member.status && reportsNoLeader(member.status)) return {word: 'no-leader', tone: 'bad'};
	// Every member lists every alarm of the cluster in its errors; another member's alarm is not this one's error.
	if (errors.some(error => !isAlarm(error))) return {word: 'errors', tone: 'warn'};
	return {word: 'ok', tone: 'good'};
}

/**
 * etcd's error texts with member IDs as the rest of etcdtop shows them: "memberID:9845148300411046929
 * alarm:NOSPACE" reads "alarm NOSPACE on etcd-2" (or on its hex ID when the member has no name).
 */
export function describeStatusError(error: string, nameOf: (hexId: string) => string | undefined): string {
	const alarm = /^memberID:(\d+) alarm:(\S+)$/.exec(error.trim());
	if (alarm) {
		const hex = BigInt(alarm[1]!).toString(16);
		return `alarm ${alarm[2]} on ${nameOf(hex) || hex}`;
	}
	return error.replace(/memberID:(\d{6,})/g, (_, decimal: string) => {
		const hex = BigInt(decimal).toString(16);
		return `member ${nameOf(hex) || hex}`;
	});
}
