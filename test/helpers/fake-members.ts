import type {EndpointStatus, MemberInfo} from '../../source/etcd/types.js';
import type {OperationIo} from '../../source/ops/member-run.js';

/**
 * An in-memory cluster behind the runner's io: member changes mutate it, the start command "starts" the
 * new member, a learner is in sync after `syncAfter` promote tries. No network, no timers: a virtual
 * clock that the io's sleep advances.
 */
export class FakeMembers {
	members: MemberInfo[];
	down = new Set<string>();
	leader: string;
	applied = 100;
	calls: string[] = [];
	/** How each member list was asked for: decisions must read it linearizably. */
	memberListReads: string[] = [];
	/** Calls a learner refused (etcd answers a learner's Status and serializable reads only): none should be made. */
	learnerCalls: string[] = [];
	promoteTries = 0;
	/** The virtual clock (ms): io.now reads it, io.sleep advances it. */
	clock = 0;
	/**
	 * A leader election under way until `until`: the members name `leader` only from then on, and until
	 * then etcd answers a linearizable read "leader changed" and a change "no leader", as 3.5 does.
	 */
	election: {readonly until: number; readonly leader: string} | undefined;
	/** The member list answers during the election (a leader only etcdtop cannot reach; 3.4's serializable list). */
	isListAnsweredInElection = false;
	private nextId = 0xd4;

	constructor(
		members: MemberInfo[],
		readonly syncAfter = 1,
	) {
		this.members = members;
		this.leader = members[0]!.id;
	}

	private byEndpoint(endpoint: string): MemberInfo | undefined {
		return this.members.find(member => member.clientUrls.includes(endpoint));
	}

	private isElecting(): boolean {
		if (!this.election) return false;
		if (this.clock < this.election.until) return true;
		this.leader = this.election.leader;
		this.election = undefined;
		return false;
	}

	/** A change during an election fails as etcd's does. */
	private changing(endpoint: string): void {
		this.reachable(endpoint);
		if (this.isElecting()) throw new Error('14 UNAVAILABLE: etcdserver: no leader');
	}

	private reachable(endpoint: string): MemberInfo {
		const member = this.byEndpoint(endpoint);
		if (!member || this.down.has(member.id)) throw Object.assign(new Error('14 UNAVAILABLE: connect ECONNREFUSED'), {code: 14});
		return member;
	}

	io(overrides: Partial<OperationIo> = {}): OperationIo {
		const client = (endpoint: string) => ({
			status: async (): Promise<EndpointStatus> => {
				const member = this.reachable(endpoint);
				// Until the election is over the survivors still name the old leader, as etcd's followers do for a while.
				this.isElecting();
				return {clusterId: 'ff', memberId: member.id, revision: 1, raftTerm: 2, version: '3.4.23', dbSize: 1, dbSizeInUse: 1, leader: this.leader, raftIndex: this.applied, raftAppliedIndex: this.applied, errors: [], alarms: [], isLearner: member.isLearner};
			},
			memberList: async (_timeoutMs: number, options: {readonly isLinearizable?: boolean} = {}) => {
				const asked = this.reachable(endpoint);
				// As etcd does: a learner serves only Status and serializable Range, MemberList never.
				if (asked.isLearner) {
					this.learnerCalls.push(`memberList ${asked.name || asked.id}`);
					throw Object.assign(new Error('14 UNAVAILABLE: etcdserver: rpc not supported for learner'), {code: 14});
				}
				this.memberListReads.push(options.isLinearizable ? 'linearizable' : 'serializable');
				if (options.isLinearizable && this.isElecting() && !this.isListAnsweredInElection) throw new Error('14 UNAVAILABLE: etcdserver: leader changed');
				return {clusterId: 'ff', memberId: 'x', members: this.members.map(member => ({...member}))};
			},
			memberAdd: async (peerUrls: readonly string[], isLearner: boolean) => {
				this.changing(endpoint);
				this.calls.push(`add ${peerUrls.join(',')}${isLearner ? ' learner' : ''}`);
				const member: MemberInfo = {id: (this.nextId++).toString(16), name: '', peerUrls, clientUrls: [], isLearner};
				this.members.push(member);
				return {member, members: this.members};
			},
			memberRemove: async (id: string) => {
				this.changing(endpoint);
				this.calls.push(`remove ${id}`);
				this.members = this.members.filter(member => member.id !== id);
				return this.members;
			},
			memberPromote: async (id: string) => {
				this.changing(endpoint);
				this.promoteTries++;
				if (this.promoteTries < this.syncAfter) throw new Error('9 FAILED_PRECONDITION: etcdserver: can only promote a learner member which is in sync with leader');
				this.calls.push(`promote ${id}`);
				this.members = this.members.map(member => (member.id === id ? {...member, isLearner: false} : member));
				return this.members;
			},
			moveLeader: async (id: string) => {
				this.changing(endpoint);
				this.calls.push(`move-leader ${id}`);
				this.leader = id;
			},
		});
		return {
			client,
			seedEndpoints: this.members.flatMap(member => member.clientUrls),
			commandTimeoutMs: 1000,
			probeTimeoutMs: 1000,
			confirm: async () => true,
			runStart: async effect => {
				this.calls.push(`start ${effect.env['ETCD_NAME']}`);
				const port = new URL(effect.env['ETCD_INITIAL_ADVERTISE_PEER_URLS']!).port;
				this.members = this.members.map(member => (member.name === '' ? {...member, name: effect.env['ETCD_NAME']!, clientUrls: [`http://fake:${Number(port) + 1}`]} : member));
				return {exitCode: 0, output: [], commandLine: 'sh -c start', host: 'fake'};
			},
			log: () => {},
			now: () => this.clock,
			sleep: async ms => {
				this.clock += ms;
			},
			...overrides,
		};
	}
}

export function fakeMember(id: string, name: string, port: number): MemberInfo {
	return {id, name, peerUrls: [`http://fake:${port}`], clientUrls: [`http://fake:${port + 1}`], isLearner: false};
}
