import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';
import {buildConfig, buildSshSettings} from '../../source/config/config.js';
import {liveOperationIo} from '../../source/ops/live-io.js';
import {SnapshotStore} from '../../source/snapshot/pane-store.js';
import {until} from '../helpers/cluster.js';

const connect = {dialTimeoutMs: 500, commandTimeoutMs: 500};

test('member changes ask the route provider for each endpoint on first use, and again after it failed', async () => {
	const asked: string[] = [];
	const io = liveOperationIo(
		{
			endpoints: ['http://127.0.0.1:1'],
			connect,
			probeTimeoutMs: 500,
			ssh: buildSshSettings({}),
			sshTimeoutMs: 1000,
			routeFor: async endpoint => {
				asked.push(endpoint);
				throw new Error(`tunnel down for ${endpoint}`);
			},
		},
		{confirm: async () => false, log: () => undefined, onState: () => undefined},
	);
	try {
		const client = io.client('http://127.0.0.1:1');
		assert.deepEqual(asked, [], 'no route asked for before the first call');
		await assert.rejects(client.memberList(500), /tunnel down for http:\/\/127\.0\.0\.1:1/);
		await assert.rejects(io.client('http://127.0.0.1:1').status(500), /tunnel down/);
		await assert.rejects(io.client('http://127.0.0.1:2').memberAdd(['http://127.0.0.1:3'], true, 500), /tunnel down for http:\/\/127\.0\.0\.1:2/);
		assert.deepEqual(asked, ['http://127.0.0.1:1', 'http://127.0.0.1:1', 'http://127.0.0.1:2']);
	} finally {
		io.close();
	}
});

test('the snapshots pane saves through the route provider it is given', async () => {
	const directory = mkdtempSync(join(tmpdir(), 'etcdtop-pane-route-'));
	const asked: string[] = [];
	const store = new SnapshotStore({
		directory,
		config: buildConfig({endpoints: 'http://127.0.0.1:1', dialTimeout: '500ms', commandTimeout: '500ms'}, {}),
		keep: undefined,
		everyMs: undefined,
		recipients: [],
		decryptKeys: {identityFiles: [], passphrase: undefined},
		routeFor: async endpoint => {
			asked.push(endpoint);
			throw new Error('tunnel down');
		},
	});
	try {
		store.start();
		store.save();
		await until('the save to end', () => (store.getSnapshot().save.kind === 'failed' ? true : undefined), 10_000);
		assert.ok(asked.includes('http://127.0.0.1:1'), asked.join(', '));
	} finally {
		await store.stop();
		rmSync(directory, {recursive: true, force: true});
	}
});
