import type {ConnectOptions} from '../etcd/member-client.js';
import type {Config} from './config.js';
import {ConfigError} from './errors.js';
import {grantRootCommandOf} from './printed-client.js';

/**
 * How every etcd client of a command connects, from its Config. The CLI asks for a missing password
 * before any command runs (cli.ts withPassword); a Config that still lacks one is refused here rather
 * than sent to etcd without it.
 */
export function connectOptionsOf(config: Pick<Config, 'tls' | 'auth' | 'dialTimeoutMs' | 'commandTimeoutMs'>): ConnectOptions {
	const {auth} = config;
	if (auth && auth.password === undefined) {
		throw new ConfigError('--password', `a password is needed for user ${auth.username}`, 'use --user NAME:PASSWORD, --password or ETCDCTL_PASSWORD');
	}
	return {
		...(config.tls ? {tls: config.tls} : {}),
		...(auth ? {auth: {username: auth.username, password: auth.password!, grantRootCommand: grantRootCommandOf(auth.username)}} : {}),
		dialTimeoutMs: config.dialTimeoutMs,
		commandTimeoutMs: config.commandTimeoutMs,
	};
}
