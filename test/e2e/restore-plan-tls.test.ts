import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {copyFileSync, mkdirSync} from 'node:fs';
import {join} from 'node:path';
import {after, test} from 'node:test';
import {cliPath, runCli, runEtcdctl} from '../helpers/cli.js';
import {startCluster} from '../helpers/cluster.js';
import {testEtcdDir} from '../helpers/etcd-binaries.js';
import {tempDir} from '../helpers/snapshot-fixtures.js';
import {paneRestorePlan} from '../helpers/snapshots-pane.js';
import {TmuxSession} from '../helpers/tmux.js';
import {makeTestPki} from '../helpers/tls.js';

// A plain (not kubeadm) 3-member TLS cluster that requires client certificates, with auth on: the restore
// plan's check step, from `snapshot restore-plan` and from the console's Snapshots pane, is run as printed
// and must reach the cluster with the TLS files and --user the operator connected with (the password comes
// from ETCDCTL_PASSWORD, never from the printed line).

const pki = makeTestPki();
const dir = tempDir('etcdtop-plan-tls-');
// The client pair in a directory with a space: the printed line quotes it, the shell reads it back.
const certs = join(dir.path, 'my certs');
mkdirSync(certs);
const [cert, key] = [join(certs, 'client.crt'), join(certs, 'client.key')];
copyFileSync(pki.clientCertFile, cert);
copyFileSync(pki.clientKeyFile, key);
const password = 'pl4n-s3cret';
const sessions: TmuxSession[] = [];
after(() => {
	for (const session of sessions) session.close();
	pki.remove();
	dir.remove();
});

const cluster = await startCluster({members: 3, tls: {caFile: pki.caFile, certFile: pki.serverCertFile, keyFile: pki.serverKeyFile}});
const endpoints = cluster.endpoints.join(',');
const etcdctlTls = [`--endpoints=${endpoints}`, `--cacert=${pki.caFile}`, `--cert=${cert}`, `--key=${key}`];
for (const args of [['user', 'add', `root:${password}`], ['auth', 'enable']]) {
	const setup = await runEtcdctl([...etcdctlTls, ...args]);
	assert.equal(setup.code, 0, setup.stderr);
}

/** A printed check line run by the shell as the operator pastes it: only the password comes from the environment. */
function runPrinted(line: string): {status: number | null; output: string} {
	const environment = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ETCDCTL_')));
	// etcdctl is the tested version's (ETCDTOP_TEST_ETCD_DIR first on PATH), as on a member host.
	const path = [...(testEtcdDir === undefined ? [] : [testEtcdDir]), environment['PATH']].join(':');
	const result = spawnSync('sh', ['-c', line], {encoding: 'utf8', timeout: 60_000, env: {...environment, PATH: path, ETCDCTL_PASSWORD: password, ETCDCTL_API: '3'}});
	return {status: result.status, output: result.stdout + result.stderr};
}

const assertHealthy = (line: string) => {
	const health = runPrinted(line);
	assert.equal(health.status, 0, `${line}\n${health.output}`);
	assert.equal(health.output.match(/is healthy/g)?.length, 3, health.output);
};

test('snapshot restore-plan over TLS: the check carries the files given (a flag over its variable) and --user, and runs as printed', {timeout: 180_000}, async () => {
	const file = join(dir.path, 'snap.db');
	const env = {ETCDCTL_CACERT: pki.otherCaFile, ETCDCTL_CERT: cert, ETCDCTL_KEY: key, ETCDCTL_PASSWORD: password};
	const save = await runCli(['snapshot', 'save', file, '--endpoints', cluster.endpoints[0]!, '--cacert', pki.caFile, '--user', 'root'], {env, timeoutMs: 120_000});
	assert.equal(save.code, 0, save.stderr + save.stdout);
	// ETCDCTL_CACERT names a CA that signed nothing: the --cacert flag wins (the save above connected with it).
	const result = await runCli(['snapshot', 'restore-plan', file, '--endpoints', cluster.endpoints[0]!, '--cacert', pki.caFile, '--user', 'root', '--data-dir', join(dir.path, 'restored-{name}'), '-w', 'json'], {env, timeoutMs: 60_000});
	assert.equal(result.code, 0, result.stderr + result.stdout);
	assert.doesNotMatch(result.stdout, new RegExp(password), 'never the password');
	const plan = JSON.parse(result.stdout) as {phases: Array<{title: string; steps: Array<{argv?: string[]; command?: string}>}>};
	const [health, status] = plan.phases.find(phase => /^Check/.test(phase.title))!.steps;
	assert.deepEqual(health!.argv!.slice(3, 11), ['--cacert', pki.caFile, '--cert', cert, '--key', key, '--user', 'root']);
	assertHealthy(health!.command!);
	// The status table too (3.5.28+ answer Status only for the root role: root has it).
	const table = runPrinted(status!.command!);
	assert.equal(table.status, 0, table.output);
	assert.equal(table.output.match(/https:\/\/127\.0\.0\.1:\d+/g)?.length, 3, table.output);
});

test('the console\'s Snapshots pane plans the same check: the TLS files and --user it connected with, and it runs as printed', {timeout: 300_000}, async () => {
	const snapshots = join(dir.path, 'pane');
	const session = TmuxSession.start([process.execPath, cliPath, '--endpoints', endpoints, '--cacert', pki.caFile, '--cert', cert, '--key', key, '--user', 'root', '--snapshot-dir', snapshots], {columns: 160, rows: 45, env: {ETCDCTL_PASSWORD: password}});
	sessions.push(session);
	await session.waitFor(screen => /HEALTHY/.test(screen), 60_000);
	const {details, check: line} = await paneRestorePlan(session);
	assert.doesNotMatch(details, new RegExp(password), 'never the password');
	assert.ok(line, details);
	assert.match(line, / --cacert \S+ --cert '[^']+my certs\/client\.crt' --key '[^']+my certs\/client\.key' --user root endpoint health$/);
	assertHealthy(line);
	session.sendKeys('Escape');
	session.sendKeys('q');
	assert.equal(await session.waitForExit(30_000), 0);
});
