import {classifyError, type Failure} from '../etcd/errors.js';
import type {SshConnection} from '../ssh/connection.js';
import type {TunnelPool} from '../ssh/tunnel-pool.js';

/** What a call says while the SSH connection that carries it (`--via`) is not up. */
export function tunnelDownFailure(connection: SshConnection): Failure | undefined {
	const {state, failure, retryAt} = connection.status;
	if (state === 'up') return undefined;
	// The connection's own messages start "SSH to <label>: …"; once is enough.
	const why = failure ? `: ${failure.message.replace(`SSH to ${connection.label}: `, '')}` : '';
	switch (state) {
		case 'connecting':
			return {kind: 'tunnel-down', message: `SSH to ${connection.label} is not connected yet`};
		case 'down': {
			const inSeconds = retryAt === undefined ? undefined : Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
			return {kind: 'tunnel-down', message: `SSH to ${connection.label} is down${why}; reconnecting${inSeconds ? ` in ${inSeconds}s` : ''}`};
		}
		case 'failed':
			return {kind: 'tunnel-down', message: `SSH to ${connection.label} failed and will not be retried${why}`};
		case 'closed':
			return {kind: 'tunnel-down', message: `SSH to ${connection.label} is closed`};
	}
}

/**
 * An error seen through a tunnel, in the operator's terms: while SSH is down every failure is
 * `tunnel-down` (the member was not seen, it is not dead); when the SSH host itself could not reach the
 * member a moment ago, the member refused, whatever gRPC or HTTP made of the reset socket.
 * `key` is the tunnel's key in the pool (the endpoint or URL origin it was opened for).
 */
export function explainTunnelledError(pool: TunnelPool, key: string, error: unknown): Failure {
	const down = tunnelDownFailure(pool.connection);
	if (down) return down;
	const failure = classifyError(error);
	if (failure.kind !== 'unreachable' && failure.kind !== 'timeout' && failure.kind !== 'error') return failure;
	const socket = pool.recentSocketFailure(key, 10_000);
	if (socket?.kind === 'forward-refused') return {kind: 'refused', message: `${socket.message} (via ${pool.connection.label})`};
	return failure;
}
