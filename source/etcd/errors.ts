/** What went wrong talking to one member, in the words an operator uses. */
export type FailureKind =
	| 'timeout'
	| 'refused'
	| 'tls'
	| 'auth'
	| 'dns'
	| 'no-leader'
	| 'unreachable'
	| 'not-started'
	// The SSH connection that carries this member's traffic (--via) is down: the member is not seen, not dead.
	| 'tunnel-down'
	| 'error';

export interface Failure {
	readonly kind: FailureKind;
	readonly message: string;
}

const rules: ReadonlyArray<readonly [FailureKind, RegExp]> = [
	['tls', /handshake|certificate|ssl|tls|self[- ]signed|unable to (get|verify)|wrong version number|altnames|ERR_TLS|alert/i],
	['dns', /ENOTFOUND|EAI_AGAIN|getaddrinfo|resolution failed/i],
	['refused', /ECONNREFUSED|connection refused/i],
	['auth', /UNAUTHENTICATED|PERMISSION_DENIED|invalid auth token|authentication failed|user name is empty|permission denied|auth: /i],
	['no-leader', /no leader|leader changed/i],
	['timeout', /DEADLINE_EXCEEDED|deadline exceeded|timed out|ETIMEDOUT/i],
	['unreachable', /ECONNRESET|EHOSTUNREACH|ENETUNREACH|EPIPE|UNAVAILABLE|No connection established|Connection dropped|socket hang up/i],
];

/** An error whose kind is already known (a route that is down says so itself); classifyError keeps it. */
export class ClassifiedError extends Error {
	override readonly name = 'ClassifiedError';
	constructor(readonly failure: Failure) {
		super(failure.message);
	}
}

/** grpc/etcd3 error -> Failure. The grpc status code is the first signal; the message text refines it. */
export function classifyError(error: unknown): Failure {
	if (error instanceof ClassifiedError) return error.failure;
	const raw = error instanceof Error ? error.message : String(error);
	const code = (error as {code?: unknown} | undefined)?.code;
	const message = cleanMessage(raw);
	for (const [kind, pattern] of rules) {
		if (pattern.test(raw)) return {kind, message};
	}
	if (code === 4) return {kind: 'timeout', message};
	if (code === 16 || code === 7) return {kind: 'auth', message};
	if (code === 14) return {kind: 'unreachable', message};
	return {kind: 'error', message};
}

/** grpc messages repeat themselves ("14 UNAVAILABLE: No connection established. Last error: …"); keep the cause. */
function cleanMessage(raw: string): string {
	const lastError = raw.indexOf('Last error: ');
	const text = lastError === -1 ? raw.replace(/^\d+ [A-Z_]+: /, '') : raw.slice(lastError + 'Last error: '.length).replace(/^Error: /, '');
	return text
		.replace(/\.? ?Resolution note:.*$/s, '')
		.replace(/,(name resolution|Waiting for LB pick|LB pick|remote_addr).*$/s, '')
		.replace(/\s+/g, ' ')
		.trim()
		.slice(0, 200);
}
