// The shapes the model derives from: what members answer and why a member did not. etcd/ reads them
// from the wire in the same shapes (etcd/types.ts, etcd/errors.ts) without either folder importing
// the other; the compiler checks at every hand-over (poller, ops, snapshot) that the two still agree,
// and test/unit/layers.test.ts checks it once more, both ways.

/** What one member answers to a status request, with IDs as hex strings and counters as numbers. */
export interface EndpointStatus {
	readonly clusterId: string;
	readonly memberId: string;
	readonly revision: number;
	readonly raftTerm: number;
	readonly version: string;
	readonly dbSize: number;
	readonly dbSizeInUse: number;
	/** Hex ID of the member this member believes leads; "0" when it knows of none. */
	readonly leader: string;
	readonly raftIndex: number;
	readonly raftAppliedIndex: number;
	readonly errors: readonly string[];
	/** The cluster's active alarms as this member knows them. */
	readonly alarms: readonly Alarm[];
	readonly isLearner: boolean;
	/** etcd 3.6+: the schema version of the member's data ("3.6.0"); absent from 3.4 and 3.5. */
	readonly storageVersion?: string | undefined;
	/** etcd 3.6+: the backend quota in bytes (--quota-backend-bytes, or etcd's 2 GiB default); absent before. */
	readonly dbSizeQuota?: bigint | undefined;
	/** etcd 3.6+: whether a downgrade is in progress, and to which version. */
	readonly downgradeInfo?: {readonly isEnabled: boolean; readonly targetVersion: string} | undefined;
}

export interface MemberInfo {
	readonly id: string;
	/** Empty until the member has started and published its name. */
	readonly name: string;
	readonly peerUrls: readonly string[];
	readonly clientUrls: readonly string[];
	readonly isLearner: boolean;
}

export interface MemberList {
	readonly clusterId: string;
	/** The member that answered. */
	readonly memberId: string;
	readonly members: readonly MemberInfo[];
}

export interface Alarm {
	readonly memberId: string;
	readonly alarm: 'NOSPACE' | 'CORRUPT';
}

/** Why a member did not answer, in the words an operator uses. */
export type FailureKind =
	| 'timeout'
	| 'refused'
	| 'tls'
	| 'auth'
	/** Authenticated, but the user lacks a permission (the root role, for Status and maintenance on newer etcd). */
	| 'permission-denied'
	| 'dns'
	| 'no-leader'
	| 'unreachable'
	| 'not-started'
	/** The SSH connection that carries this member's traffic (--via) is down: the member is not seen, not dead. */
	| 'tunnel-down'
	/** A learner refused the call: etcd serves learners only Status and serializable reads. */
	| 'learner'
	/** Not a member failure: the revision asked for is compacted (etcd's ErrCompacted, gRPC OUT_OF_RANGE). */
	| 'compacted'
	| 'error';

export interface Failure {
	readonly kind: FailureKind;
	readonly message: string;
}
