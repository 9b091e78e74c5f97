import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, test} from 'node:test';
import {buildConfig, type Config} from '../../source/config/config.js';
import {snapshotRestorePlanCommand} from '../../source/commands/snapshot-restore-plan.js';
import {parseMemberCommand} from '../../source/commands/member.js';
import {SnapshotStore} from '../../source/console/snapshot-store.js';
import {commandText, etcdctl} from '../../source/ops/commands.js';
import type {RestorePlan} from '../../source/snapshot/restore-plan.js';
import {paneManifest} from '../helpers/fixtures.js';
import {makeTestPki} from '../helpers/tls.js';

// A non-kubeadm TLS cluster the operator connected to with --cacert/--cert/--key (or ETCDCTL_*) and --user:
// the console's Snapshots pane, `snapshot restore-plan` and every etcdctl equivalent print the same files
// and user, taken from the Config (never the password).

const pki = makeTestPki();
after(() => pki.remove());
const bytes: Record<string, Buffer> = {
	'/etc/etcd/ca.crt': readFileSync(pki.caFile),
	'/etc/etcd/my certs/client.crt': readFileSync(pki.clientCertFile),
	'/etc/etcd/my certs/client.key': readFileSync(pki.clientKeyFile),
};
const readFile = (path: string): Buffer => bytes[path] ?? assert.fail(`read ${path}`);
const env = {ETCDCTL_CERT: '/etc/etcd/my certs/client.crt', ETCDCTL_KEY: '/etc/etcd/my certs/client.key', ETCDCTL_PASSWORD: 'hunter2'};
const config: Config = buildConfig({endpoints: 'https://10.0.0.1:2379', cacert: '/etc/etcd/ca.crt', user: 'ops'}, env, readFile);
const clientWords = ['--cacert', '/etc/etcd/ca.crt', '--cert', '/etc/etcd/my certs/client.crt', '--key', '/etc/etcd/my certs/client.key', '--user', 'ops'];
const printedClient = "--cacert /etc/etcd/ca.crt --cert '/etc/etcd/my certs/client.crt' --key '/etc/etcd/my certs/client.key' --user ops";

const entry = {name: 'a.db', path: '/snaps/a.db', fileSize: 1000, modifiedAt: 0, isEncrypted: false, manifest: paneManifest('a.db', 900, 0)};

/** The check line of the pane's plan (wide enough for one line per command), as the operator copies it. */
function paneCheckLine(store: SnapshotStore): string {
	const lines = store.restorePlanLines(entry, 400);
	const check = lines.slice(lines.findIndex(line => /Check the restored cluster/.test(line)) + 1)[0]!;
	return check.trim();
}

test('the Snapshots pane\'s plan checks with the TLS files and --user the console connected with (never the password)', () => {
	const store = new SnapshotStore({directory: '/snaps', config, keep: undefined, everyMs: undefined, recipients: [], decryptKeys: {identityFiles: [], passphrase: undefined}});
	const check = paneCheckLine(store);
	assert.equal(check, `etcdctl --endpoints http://10.0.0.1:2379,http://10.0.0.2:2379 ${printedClient} endpoint health`);
	assert.doesNotMatch(store.restorePlanLines(entry, 400).join('\n'), /hunter2/);
	// The shell reads the printed words back as the paths (one with a space in it).
	const words = spawnSync('sh', ['-c', `printf '%s\\n' ${check.replace(/^etcdctl /, '')}`], {encoding: 'utf8'}).stdout.trim().split('\n');
	assert.deepEqual(words.slice(2, 10), clientWords);
});

test('snapshot restore-plan prints the same check client as the pane, from the Config alone', async () => {
	const dir = mkdtempSync(join(tmpdir(), 'etcdtop-plan-client-'));
	try {
		const file = join(dir, 'snap.db');
		writeFileSync(file, 'not read by the plan');
		writeFileSync(`${file}.meta.json`, JSON.stringify(paneManifest('snap.db', 900, 0)));
		// The cluster does not answer (no route dials): the plan comes from the manifest, as the pane's does.
		const routes = {client: () => ({memberList: async () => Promise.reject(new Error('unreachable')), status: async () => Promise.reject(new Error('unreachable')), close: () => undefined}), close: async () => undefined};
		const out: string[] = [];
		const code = await snapshotRestorePlanCommand(async () => config, file, {dataDir: '/var/lib/etcd-restored', format: 'json', tool: undefined, routes: routes as never}, {out: line => out.push(line), err: () => undefined});
		assert.equal(code, 0);
		const plan = JSON.parse(out.join('\n')) as RestorePlan;
		const check = plan.phases.find(phase => /^Check/.test(phase.title))!.steps[0]!;
		assert.deepEqual(check.argv!.slice(3, 11), clientWords);
		const store = new SnapshotStore({directory: dir, config, keep: undefined, everyMs: undefined, recipients: [], decryptKeys: {identityFiles: [], passphrase: undefined}});
		assert.equal(check.command, paneCheckLine(store));
	} finally {
		rmSync(dir, {recursive: true, force: true});
	}
});

test('a member change\'s etcdctl equivalent carries the same files and user', () => {
	const plan = parseMemberCommand(['remove', 'etcd-3'], {}, config);
	assert.equal(
		commandText(etcdctl.memberRemove(plan.connection, '8e9e05c52164694d')),
		"etcdctl --endpoints=https://10.0.0.1:2379 --cacert=/etc/etcd/ca.crt '--cert=/etc/etcd/my certs/client.crt' '--key=/etc/etcd/my certs/client.key' --user=ops member remove 8e9e05c52164694d",
	);
	assert.doesNotMatch(JSON.stringify(plan.connection), /hunter2/);
});
