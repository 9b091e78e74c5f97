import assert from 'node:assert/strict';
import {after, test} from 'node:test';
import {cliPath, runEtcdctl} from '../helpers/cli.js';
import {fillToNospace, startCluster, until} from '../helpers/cluster.js';
import {TmuxSession} from '../helpers/tmux.js';

const sessions: TmuxSession[] = [];
after(() => {
	for (const session of sessions) session.close();
});

test('the Maintenance pane: NOSPACE in the header, guided recovery by keys to the end', {timeout: 240_000}, async () => {
	const cluster = await startCluster({members: 3, quotaBytes: 8 * 1024 * 1024});
	const endpoints = cluster.endpoints.join(',');
	await fillToNospace(cluster.endpoints[0]!, {keys: 5, attempts: 300});
	const session = TmuxSession.start([process.execPath, cliPath, '--endpoints', endpoints], {columns: 160, rows: 45});
	sessions.push(session);
	const header = await session.waitFor(/NOSPACE: the database is full and writes are refused; press 4, then d/, 30_000);
	assert.match(header, /ALARM/);
	session.sendKeys('4');
	const pane = await session.waitFor(screen => /MAINTENANCE/.test(screen) && /NOSPACE: press d for the guided recovery/.test(screen) && /8\.4 MB/.test(screen), 30_000);
	// Quota use is shown against the members' quota from /metrics, over 95%: critical.
	assert.match(pane, /etcd-1 .*NOSPACE|etcd-\d .*near the quota/);
	session.sendKeys('d');
	const confirm = await session.waitFor('type "defrag" and enter to go ahead', 30_000);
	assert.match(confirm, /plan: compact to revision \d+, then defragment etcd-\d, then etcd-\d, then etcd-\d, then disarm NOSPACE/);
	assert.match(confirm, /etcdctl --endpoints=\S+ compact \d+ --physical/);
	session.sendKeys('-l', 'defrag');
	session.sendKeys('Enter');
	const done = await session.waitFor(/done: defragmented 3 members; NOSPACE disarmed/, 120_000);
	assert.match(done, /\$ etcdctl --endpoints=\S+ alarm disarm/);
	// The dashboard agrees, and writes work again.
	session.sendKeys('1');
	await session.waitFor(screen => !/NOSPACE/.test(screen.split('\n').slice(0, 3).join('\n')) && /HEALTHY/.test(screen), 30_000);
	await until('a put to succeed', async () => ((await runEtcdctl(['--endpoints', endpoints, 'put', 'after', 'ok'])).code === 0 ? true : undefined));
	session.sendKeys('3');
	const log = await session.waitFor('EVENT LOG');
	assert.match(log, /defrag: \$ etcdctl --endpoints=\S+ --command-timeout=\d+s defrag {2}# ok/);
	session.sendKeys('q');
	assert.equal(await session.waitForExit(), 0);
});
