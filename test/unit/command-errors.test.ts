import assert from 'node:assert/strict';
import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {exitCodeOf, messageOf} from '../../source/commands/errors.js';
import {ClassifiedError, CredentialsRefusedError, type Failure} from '../../source/etcd/errors.js';
import {credentialsRefusal, type EndpointProbe, type ObserveResult} from '../../source/route/observe.js';
import type {Config} from '../../source/config/config.js';
import {ConfigError} from '../../source/config/errors.js';
import {saveFromCluster} from '../../source/snapshot/cluster-save.js';
import {SnapshotSaveError} from '../../source/snapshot/save.js';
import {createRoutes} from '../../source/route/routes.js';

const config: Config = {
	endpoints: ['http://127.0.0.1:1'],
	tls: undefined,
	auth: undefined,
	dialTimeoutMs: 100,
	commandTimeoutMs: 100,
	intervalMs: 1000,
	probeTimeoutMs: 100,
	isReadOnly: false,
	isDiscovering: false,
};

test('the command boundary decides the exit code: usage 3, anything else 2', () => {
	assert.equal(exitCodeOf(new ConfigError('--keep', 'bad')), 3);
	assert.equal(exitCodeOf(new SnapshotSaveError('exists', 'x exists', {input: {input: 'FILE', fix: 'use --overwrite'}})), 2, 'a domain error is mapped by its command, not here');
	assert.equal(exitCodeOf(new Error('boom')), 2);
	assert.equal(exitCodeOf('thrown text'), 2);
	// A call etcd refused for who the operator is, thrown as it came (usage's Range): exit 3 as every refusal.
	assert.equal(exitCodeOf(new ClassifiedError({kind: 'permission-denied', message: 'permission denied for Range: user "alice" may not read these keys'})), 3);
	assert.equal(exitCodeOf(new ClassifiedError({kind: 'timeout', message: 'deadline exceeded'})), 2);
});

test('refused credentials are exit 3 from any command, with the fix; the maintenance commands\' observation throws them', async () => {
	const {openMaintenanceContext} = await import('../../source/console/maintenance-context.js');
	const {noCommandLogFile} = await import('../../source/output/command-log-file.js');
	const wrong = Object.assign(new Error('16 UNAUTHENTICATED: etcdserver: authentication failed, invalid user ID or password'), {code: 16});
	const refusedRole = new ClassifiedError({kind: 'permission-denied', message: 'permission denied for Status: user "alice" does not have the root role'});
	const dead = Object.assign(new Error('14 UNAVAILABLE: connect ECONNREFUSED 127.0.0.1:1'), {code: 14});
	const member = {id: '8e9e05c52164694d', name: 'etcd-1', peerUrls: ['http://127.0.0.1:2380'], clientUrls: ['http://127.0.0.1:2379'], isLearner: false};
	const observeWith = async (calls: {memberList: () => Promise<unknown>; status: () => Promise<unknown>}) => {
		const routes = {client: () => ({...calls, close: () => undefined}), close: async () => undefined};
		const context = await openMaintenanceContext({...config, endpoints: ['http://127.0.0.1:2379', 'http://127.0.0.1:22379']}, {routes} as never, noCommandLogFile);
		try {
			return await context.observe();
		} finally {
			await context.close();
		}
	};
	const fail = (error: unknown) => async () => Promise.reject(error);
	const list = async () => ({clusterId: 'cdf818194e3a8c32', members: [member]});

	await assert.rejects(observeWith({memberList: fail(wrong), status: fail(wrong)}), (error: unknown) => {
		assert.ok(error instanceof CredentialsRefusedError, String(error));
		assert.equal(exitCodeOf(error), 3);
		assert.match(messageOf(error), /authentication failed, invalid user ID or password.*\(check --user and ETCDCTL_PASSWORD\)$/);
		return true;
	});
	// Listed, but Status refused to this user (etcd 3.5.28+ without the root role).
	await assert.rejects(observeWith({memberList: list, status: fail(refusedRole)}), (error: unknown) => {
		assert.ok(error instanceof CredentialsRefusedError, String(error));
		assert.equal(exitCodeOf(error), 3);
		assert.match(messageOf(error), /^permission denied for Status: user "alice" does not have the root role$/);
		return true;
	});
	// A dead cluster is not a wrong password: the cluster's trouble, exit 2.
	await assert.rejects(observeWith({memberList: fail(dead), status: fail(dead)}), (error: unknown) => !(error instanceof CredentialsRefusedError) && exitCodeOf(error) === 2);
	const noUser = new CredentialsRefusedError({kind: 'auth', message: 'etcdserver: user name is empty'});
	assert.match(messageOf(noUser), /give --user NAME/);
});

test('restore-plan: refused credentials (a wrong password, a user without the root role) are exit 3, never the manifest\'s members', async () => {
	const {snapshotRestorePlanCommand} = await import('../../source/commands/snapshot-restore-plan.js');
	const wrong = Object.assign(new Error('16 UNAUTHENTICATED: etcdserver: authentication failed, invalid user ID or password'), {code: 16});
	const refusedRole = new ClassifiedError({kind: 'permission-denied', message: 'permission denied for Status: user "alice" does not have the root role'});
	const dead = Object.assign(new Error('14 UNAVAILABLE: connect ECONNREFUSED 127.0.0.1:1'), {code: 14});
	const member = {id: '8e9e05c52164694d', name: 'etcd-1', peerUrls: ['http://127.0.0.1:2380'], clientUrls: ['http://127.0.0.1:2379'], isLearner: false};
	const dir = mkdtempSync(join(tmpdir(), 'etcdtop-plan-refused-'));
	const file = join(dir, 'snap.db');
	writeFileSync(file, 'not read by the plan');
	const err: string[] = [];
	const io = {out: () => undefined, err: (line: string) => err.push(line)};
	const planWith = async (calls: {memberList: () => Promise<unknown>; status: () => Promise<unknown>}) => {
		const routes = {client: () => ({...calls, close: () => undefined}), close: async () => undefined};
		return snapshotRestorePlanCommand(() => config, file, {dataDir: join(dir, 'restored-{name}'), format: undefined, tool: undefined, routes: routes as never}, io as never);
	};
	const fail = (error: unknown) => async () => Promise.reject(error);
	const list = async () => ({clusterId: 'cdf818194e3a8c32', members: [member]});
	try {
		await assert.rejects(planWith({memberList: fail(wrong), status: fail(wrong)}), (error: unknown) => {
			assert.ok(error instanceof CredentialsRefusedError, String(error));
			assert.equal(exitCodeOf(error), 3);
			assert.match(messageOf(error), /authentication failed.*--user/);
			return true;
		});
		await assert.rejects(planWith({memberList: list, status: fail(refusedRole)}), (error: unknown) => error instanceof CredentialsRefusedError && /does not have the root role/.test(messageOf(error)));
		// A cluster that does not answer is what the manifest is for; here there is none, so exit 1 saying both.
		assert.equal(await planWith({memberList: fail(dead), status: fail(dead)}), 1);
		assert.match(err.join('\n'), /the cluster did not answer and .*meta\.json is missing/);
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
});

test('a save with an unusable FILE throws the snapshot layer\'s error, naming the input, before connecting', async () => {
	const dir = mkdtempSync(join(tmpdir(), 'etcdtop-errors-'));
	try {
		writeFileSync(join(dir, 'taken.db'), '');
		const cases: ReadonlyArray<[string, string, RegExp]> = [
			[' ', 'bad-path', /path is empty/],
			[join(dir, 'missing', 'a.db'), 'no-directory', /does not exist/],
			[join(dir, 'taken.db'), 'exists', /already exists \(use --overwrite/],
		];
		for (const [file, kind, message] of cases) {
			await assert.rejects(saveFromCluster(config, file, {isOverwriting: false, routes: createRoutes({dialTimeoutMs: 500, commandTimeoutMs: 500})}), (error: unknown) => {
				assert.ok(error instanceof SnapshotSaveError, `not a SnapshotSaveError: ${String(error)}`);
				assert.equal(error.kind, kind);
				assert.equal(error.input?.input, 'FILE');
				assert.match(error.message, message);
				return true;
			});
		}
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
});

test('below the commands, nothing throws usage errors: only config/ and commands/ import ConfigError', () => {
	const root = fileURLToPath(new URL('../../../source/', import.meta.url));
	const offenders: string[] = [];
	const walk = (dir: string): void => {
		for (const entry of readdirSync(join(root, dir), {withFileTypes: true})) {
			const path = join(dir, entry.name);
			if (entry.isDirectory()) walk(path);
			else if (/\.tsx?$/.test(entry.name) && !/^(config|commands)\//.test(path) && /config\/errors\.js'/.test(readFileSync(join(root, path), 'utf8'))) offenders.push(path);
		}
	};
	walk('');
	assert.deepEqual(offenders.filter(path => path !== 'cli.ts'), []);
});

test('credentialsRefusal decides on the classified kind of each Status failure, never on its words', () => {
	const member = {id: '8e9e05c52164694d', name: 'etcd-1', peerUrls: ['http://127.0.0.1:2380'], clientUrls: ['http://127.0.0.1:2379'], isLearner: false};
	const observed = (probes: EndpointProbe[]): ObserveResult => ({kind: 'observed', reading: {at: 0, members: [member], statuses: {}, endpoints: {}, failures: {}, clusterId: 'c', probes}});
	const probe = (failure: string, classified?: Failure): EndpointProbe => ({endpoint: 'http://127.0.0.1:2379', status: undefined, failure, ...(classified ? {classified} : {})});
	const denied = {kind: 'permission-denied', message: 'permission denied for Status: user "alice" does not have the root role'} as const;
	// Shown in other words (a member's own text, a tunnel's), still the classified refusal.
	const refusal = credentialsRefusal(observed([probe('etcd-1 refuses this user', denied), probe('refused this user, too', {kind: 'auth', message: 'etcdserver: invalid auth token'})]));
	assert.ok(refusal instanceof CredentialsRefusedError);
	assert.equal(refusal.failure.kind, 'auth');
	assert.equal(refusal.message, `${denied.message}; etcdserver: invalid auth token`);
	// Words that look like a refusal, on a failure classified otherwise or not at all, are not one.
	assert.equal(credentialsRefusal(observed([probe('auth: x', {kind: 'timeout', message: 'auth: deadline exceeded'})])), undefined);
	assert.equal(credentialsRefusal(observed([probe('permission-denied: y')])), undefined, 'an unclassified failure is not a refusal');
	// One member that is simply down among refusals: not all refused, the cluster's trouble.
	assert.equal(credentialsRefusal(observed([probe('', denied), probe('', {kind: 'refused', message: 'connect ECONNREFUSED'})])), undefined);
});
