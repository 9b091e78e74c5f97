/**
 * Everything that can go wrong on the SSH path, in an operator's words. `ssh/` imports no other folder,
 * so it has its own error type; callers show `message` (one line, no stack) and branch on `kind`.
 */
export type SshFailureKind =
	| 'bad-target' // a --via / host map value that is not [user@]host[:port]
	| 'config' // ~/.ssh/config or an identity file could not be read
	| 'host-unknown' // the host key is not in known_hosts and accept-new is off
	| 'host-key-changed' // known_hosts holds a different key for this host: possible MITM
	| 'host-key-revoked' // the key is marked @revoked
	| 'passphrase' // an encrypted key and no (or a wrong) passphrase
	| 'auth' // the server refused every key
	| 'refused' // TCP connect refused
	| 'dns'
	| 'timeout'
	| 'unreachable' // reset, no route, dropped mid-session
	| 'forward-refused' // sshd refused a direct-tcpip channel (AllowTcpForwarding no, target down)
	| 'cancelled'
	| 'error';

export interface SshFailure {
	readonly kind: SshFailureKind;
	readonly message: string;
}

export class SshError extends Error implements SshFailure {
	override readonly name = 'SshError';
	/** The message without the fix, for callers that show the two apart. */
	readonly problem: string;
	constructor(
		readonly kind: SshFailureKind,
		message: string,
		/** What the operator can do about it, when there is something. */
		readonly fix?: string,
	) {
		super(fix ? `${message} (${fix})` : message);
		this.problem = message;
	}
}

const rules: ReadonlyArray<readonly [SshFailureKind, RegExp]> = [
	['dns', /ENOTFOUND|EAI_AGAIN|getaddrinfo/i],
	['refused', /ECONNREFUSED/i],
	['timeout', /ETIMEDOUT|timed out|Keepalive timeout/i],
	['auth', /All configured authentication methods failed|authentication/i],
	['forward-refused', /Connection refused|administratively prohibited|open failed|Channel open failure/i],
	['unreachable', /ECONNRESET|EHOSTUNREACH|ENETUNREACH|EPIPE|Not connected|No response from server|Connection lost|socket hang up|closed/i],
];

/** Any error from ssh2 or node's net -> SshFailure; an SshError keeps its own kind. */
export function classifySshError(error: unknown): SshFailure {
	if (error instanceof SshError) return {kind: error.kind, message: error.message};
	const message = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim().slice(0, 200);
	if ((error as {name?: unknown} | undefined)?.name === 'AbortError') return {kind: 'cancelled', message};
	for (const [kind, pattern] of rules) if (pattern.test(message)) return {kind, message};
	return {kind: 'error', message};
}
