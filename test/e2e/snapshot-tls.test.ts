import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, describe, it} from 'node:test';
import {snapshotSaveCommand} from '../../source/commands/snapshot-save.js';
import {snapshotStatusCommand} from '../../source/commands/snapshot-status.js';
import {buildConfig} from '../../source/config/config.js';
import type {LocalCluster, LocalTls} from '../../source/demo/local-cluster.js';
import {startScenario, type Scenario} from '../helpers/scenario.js';
import type {SnapshotManifest} from '../../source/snapshot/file/manifest.js';
import {assertSameDatabase, etcdctlStatus, filesIn, hasEtcd, mustEtcdctl, tempDir} from '../helpers/snapshot-fixtures.js';

const hasOpenssl = spawnSync('openssl', ['version'], {stdio: 'ignore'}).status === 0;

function capture() {
	const out: string[] = [];
	const err: string[] = [];
	return {io: {out: (text: string) => out.push(text), err: (text: string) => err.push(text)}, out, err};
}

describe('snapshot save over TLS with client certificates', {skip: (!hasEtcd || !hasOpenssl) && 'etcd, etcdctl or openssl not installed', timeout: 600_000}, () => {
	let cluster: LocalCluster;
	let scenario: Scenario | undefined;
	const dir = tempDir();
	let tls: LocalTls;
	let strangerCa: string;

	before(async () => {
		scenario = await startScenario({cluster: {members: 3}, isTls: true});
		cluster = scenario.cluster;
		// The server certificate is a client certificate too, as etcd's TLS guides make them.
		tls = {caFile: scenario.pki!.caFile, certFile: scenario.pki!.serverCertFile, keyFile: scenario.pki!.serverKeyFile};
		strangerCa = scenario.pki!.otherCaFile;
		const endpoint = cluster.endpoints[0]!;
		// fillCluster's client speaks plain http: write through etcdctl over TLS instead.
		const tlsArgs = [`--endpoints=${endpoint}`, `--cacert=${tls.caFile}`, `--cert=${tls.certFile}`, `--key=${tls.keyFile}`];
		for (let index = 0; index < 200; index++) mustEtcdctl([...tlsArgs, 'put', `/tls/key-${index}`, `value-${index}`]);
		mustEtcdctl([...tlsArgs, 'del', '--prefix', '/tls/key-1']);
	});

	after(async () => {
		await scenario?.end();
		dir.remove();
	});

	it('saves what etcdctl saves, over https with a client certificate', async () => {
		const config = buildConfig({endpoints: cluster.endpoints.join(','), cacert: tls.caFile, cert: tls.certFile, key: tls.keyFile}, {});
		const file = join(dir.path, 'tls.db');
		const run = capture();
		assert.equal(await snapshotSaveCommand(config, file, {isOverwriting: false}, run.io), 0, run.err.join('\n'));
		const manifest = JSON.parse(readFileSync(`${file}.meta.json`, 'utf8')) as SnapshotManifest;
		assert.match(manifest.member.endpoint, /^https:\/\/127\.0\.0\.1:/);
		const theirs = join(dir.path, 'tls-etcdctl.db');
		mustEtcdctl([`--endpoints=${manifest.member.endpoint}`, `--cacert=${tls.caFile}`, `--cert=${tls.certFile}`, `--key=${tls.keyFile}`, 'snapshot', 'save', theirs]);
		assertSameDatabase(file, theirs);
		const status = capture();
		assert.equal(await snapshotStatusCommand(file, 'json', status.io), 0);
		assert.deepEqual(JSON.parse(status.out.join('')), {...etcdctlStatus(file), sha256: 'ok'});
		assert.ok(etcdctlStatus(file).totalKey > 100);
	});

	it('refuses a server its CA did not sign, and accepts it with --insecure-skip-tls-verify', async () => {
		const file = join(dir.path, 'stranger.db');
		const strict = capture();
		const code = await snapshotSaveCommand(
			buildConfig({endpoints: cluster.endpoints.join(','), cacert: strangerCa, cert: tls.certFile, key: tls.keyFile, commandTimeout: '3s'}, {}),
			file,
			{isOverwriting: false},
			strict.io,
		);
		assert.equal(code, 1);
		assert.match(strict.err.join('\n'), /no endpoint answered: .*(certificate|tls|ssl|handshake)/i);
		assert.deepEqual(filesIn(dir.path).filter(name => name.startsWith('stranger.db')), []);

		const lenient = capture();
		const config = buildConfig({endpoints: cluster.endpoints.join(','), cacert: strangerCa, cert: tls.certFile, key: tls.keyFile, insecureSkipTlsVerify: true}, {});
		assert.equal(await snapshotSaveCommand(config, file, {isOverwriting: false}, lenient.io), 0, lenient.err.join('\n'));
		assert.equal(etcdctlStatus(file).totalKey > 100, true);
	});
});
