/** What went wrong talking to one member, in the words an operator uses. */
export type FailureKind =
	| 'timeout'
	| 'refused'
	| 'tls'
	| 'auth'
	// Authenticated, but the user lacks a permission: since 3.4.42/3.5.28/3.6.0 the root role for Status and maintenance.
	| 'permission-denied'
	| 'dns'
	| 'no-leader'
	| 'unreachable'
	| 'not-started'
	// The SSH connection that carries this member's traffic (--via) is down: the member is not seen, not dead.
	| 'tunnel-down'
	// A learner refused a call: etcd serves learners only Status and serializable Range (never MemberList, a linearizable read, Alarm, HashKV, Defragment).
	| 'learner'
	// Not a member failure: the revision asked for is compacted (etcd's ErrCompacted, gRPC OUT_OF_RANGE).
	| 'compacted'
	| 'error';

export interface Failure {
	readonly kind: FailureKind;
	readonly message: string;
}

const rules: ReadonlyArray<readonly [FailureKind, RegExp]> = [
	// etcd answers it with UNAVAILABLE, which would otherwise read as a member that is down.
	['learner', /not supported for learner/i],
	['tls', /handshake|certificate|ssl|tls|self[- ]signed|unable to (get|verify)|wrong version number|altnames|ERR_TLS|alert/i],
	['dns', /ENOTFOUND|EAI_AGAIN|getaddrinfo|resolution failed/i],
	['refused', /ECONNREFUSED|connection refused/i],
	['permission-denied', /PERMISSION_DENIED|permission denied/i],
	['auth', /UNAUTHENTICATED|invalid auth token|authentication failed|user name is empty|auth: /i],
	['no-leader', /no leader|leader changed/i],
	['timeout', /DEADLINE_EXCEEDED|deadline exceeded|timed out|ETIMEDOUT/i],
	['unreachable', /ECONNRESET|EHOSTUNREACH|ENETUNREACH|EPIPE|UNAVAILABLE|No connection established|Connection dropped|socket hang up/i],
];

/** The likely fix of the failures whose own words do not say it. */
const hints: ReadonlyArray<readonly [RegExp, string]> = [
	[/not supported for learner/i, 'the member is a learner: etcd serves it only Status and serializable reads until it is promoted; ask a voter'],
	[/unable to verify the first certificate|unable to get (local )?issuer|self[- ]signed certificate|certificate signature failure/i, "the member's certificate is not signed by a CA etcdtop trusts: give the cluster's CA with --cacert"],
	[/alert bad certificate|certificate required|alert unknown ca/i, 'the member refused the client certificate: give --cert and --key signed by its --trusted-ca-file'],
	[/ERR_TLS_CERT_ALTNAME_INVALID|altnames/i, "the member's certificate does not name this host: use an endpoint name or IP its certificate lists"],
	[/wrong version number|packet length too long|unknown protocol/i, 'the member does not serve TLS there: use http://'],
	[/Failed to connect/i, 'if the member serves TLS, use https:// with --cacert'],
];

/** An error whose kind is already known (a route that is down says so itself); classifyError keeps it. */
export class ClassifiedError extends Error {
	override name = 'ClassifiedError';
	constructor(readonly failure: Failure) {
		super(failure.message);
	}
}

/** A refusal of who the operator is: a wrong user or password, or a user without the role the call needs. */
export type CredentialsKind = Extract<FailureKind, 'auth' | 'permission-denied'>;

export function isCredentialsKind(kind: FailureKind | undefined): kind is CredentialsKind {
	return kind === 'auth' || kind === 'permission-denied';
}

/**
 * Every endpoint refused the credentials: a wrong user or password ('auth'), or a user without the role the
 * call needs ('permission-denied'). It will not fix itself, so nothing retries it, and the command reports
 * it as the operator's input to fix (commands/errors.ts: exit 3), the same for every command.
 */
export class CredentialsRefusedError extends ClassifiedError {
	constructor(failure: Failure) {
		super(failure);
		this.name = 'CredentialsRefusedError';
	}
}

/** gRPC's OUT_OF_RANGE: etcd answers it for a revision below the compaction (ErrCompacted) or above the head (ErrFutureRev). */
const outOfRange = 11;
/** etcd's ErrCompacted ("mvcc: required revision has been compacted"), which etcd sends with OUT_OF_RANGE. */
const errCompacted = /required revision has been compacted/;

/**
 * The grpc status code of an error: grpc-js sets `code`; etcd3 re-raises it as an error of its own class
 * without it, keeping grpc's "11 OUT_OF_RANGE: …" message, whose number is the code.
 */
function grpcCode(error: unknown, raw: string): number | undefined {
	const code = (error as {code?: unknown} | undefined)?.code;
	if (typeof code === 'number') return code;
	const prefix = /^(\d+) [A-Z_]+: /.exec(raw);
	return prefix ? Number(prefix[1]) : undefined;
}

/** grpc/etcd3 error -> Failure. The grpc status code is the first signal; the message text refines it. */
export function classifyError(error: unknown): Failure {
	if (error instanceof ClassifiedError) return error.failure;
	const raw = error instanceof Error ? error.message : String(error);
	const code = grpcCode(error, raw);
	const cleaned = cleanMessage(raw);
	if (code === outOfRange && errCompacted.test(raw)) return {kind: 'compacted', message: cleaned};
	const hint = hints.find(([pattern]) => pattern.test(raw))?.[1];
	const message = hint ? `${cleaned} (${hint})` : cleaned;
	for (const [kind, pattern] of rules) {
		if (pattern.test(raw)) return {kind, message};
	}
	if (code === 4) return {kind: 'timeout', message};
	if (code === 7) return {kind: 'permission-denied', message};
	if (code === 16) return {kind: 'auth', message};
	if (code === 14) return {kind: 'unreachable', message};
	return {kind: 'error', message};
}

/** Which etcd releases answer Status and the maintenance calls only for a user with the root role when auth is on. */
export const rootRoleReleases = 'etcd 3.4.42+, 3.5.28+ and 3.6.0+';

/**
 * etcd's bare "permission denied" in words: who was refused, what is missing, since when, and the fix.
 * `user` is the --user name with its grant command as printed (quoted above etcd/, where every printed
 * command is); without one, etcd took the user from the client certificate's common name.
 */
export function permissionDeniedFailure(user: {readonly name: string; readonly grantRootCommand: string} | undefined, call: string): Failure {
	const who = user === undefined ? "the client certificate's user (its common name)" : `user "${user.name}"`;
	const grant = user?.grantRootCommand ?? 'etcdctl user grant-role <common name> root';
	if (call === 'Range') {
		return {kind: 'permission-denied', message: `permission denied for Range: ${who} may not read these keys; grant a role with read permission on them, or connect as a user with the root role`};
	}
	// Member changes, snapshots, defragmentation and hashes have always needed the root role (etcd's
	// authMaintenanceServer); Status, Alarm and MoveLeader only since these releases.
	const why = /^Member(Add|Remove|Promote|Update)$/.test(call)
		? 'which etcd requires for member changes'
		: /^(Snapshot|Defragment|Hash|HashKV)$/.test(call)
			? 'which every etcd release requires for snapshots, defragmentation and hashes when auth is on'
			: `which ${rootRoleReleases} require for Status, Alarm, MoveLeader and the maintenance calls when auth is on`;
	return {
		kind: 'permission-denied',
		message: `permission denied for ${call}: ${who} does not have the root role, ${why}; grant it (${grant}) or connect as a user that has it`,
	};
}

/** grpc messages repeat themselves ("14 UNAVAILABLE: No connection established. Last error: …"); keep the cause. */
function cleanMessage(raw: string): string {
	const lastError = raw.indexOf('Last error: ');
	const text = lastError === -1 ? raw.replace(/^\d+ [A-Z_]+: /, '') : raw.slice(lastError + 'Last error: '.length).replace(/^Error: /, '');
	return text
		.replace(/\.? ?Resolution note:.*$/s, '')
		// OpenSSL's error-stack prefix and source location, and grpc's timestamp, say nothing to an operator.
		.replace(/^[0-9A-F]+:error:[0-9A-F]+:SSL routines:[a-z0-9_]+:/i, '')
		.replace(/:\.\.\/deps\/openssl[^:]*:\d+(:SSL alert number \d+)?/, '')
		.replace(/^Error \[(ERR_[A-Z_]+)\]: /, '')
		.replace(/ \(\d{4}-\d\d-\d\dT[\d:.]+Z\)/g, '')
		.replace(/,(name resolution|Waiting for LB pick|LB pick|remote_addr).*$/s, '')
		.replace(/\s+/g, ' ')
		.trim()
		.slice(0, 200);
}
