import assert from 'node:assert/strict';
import {createHash, randomBytes} from 'node:crypto';
import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, it} from 'node:test';
import {resolveSaveTarget} from '../../source/commands/snapshot-save.js';
import {ConfigError} from '../../source/config/errors.js';
import {parseSnapshotOptions} from '../../source/config/snapshot-options.js';
import {AgeEncryptor, bech32Decode, bech32Encode, generateIdentity, openAgeFileSource, parseHeader, parseIdentities, parseRecipient, unwrapFileKey} from '../../source/snapshot/file/age.js';
import {buildRestorePlan, renderRestorePlan, toolForVersion, type PlanMember} from '../../source/snapshot/restore-plan.js';
import {chooseDeletions} from '../../source/model/retention.js';
import {defaultSnapshotDir} from '../../source/config/snapshot-options.js';
import {snapshotFileName} from '../../source/snapshot/snapshot-dir.js';
import {saveSnapshot} from '../../source/snapshot/save.js';
import {tempDir} from '../helpers/temp-files.js';

const day = 86_400_000;

describe('retention (--keep)', () => {
	const snap = (name: string, days: number, isVerified = true) => ({name, createdAt: days * day, isVerified});
	const cases: Array<[string, ReturnType<typeof snap>[], number, string[]]> = [
		['keeps the newest N', [snap('a', 1), snap('b', 2), snap('c', 3), snap('d', 4)], 2, ['b', 'a']],
		['nothing to do under N', [snap('a', 1), snap('b', 2)], 3, []],
		['keeps the newest verified one when none of the newest N is verified', [snap('a', 1), snap('b', 2), snap('c', 3, false), snap('d', 4, false)], 2, ['a']],
		['never deletes the only verified snapshot, even with keep 1', [snap('ok', 1), snap('bad', 2, false)], 1, []],
		['no verified one at all: plain newest N', [snap('a', 1, false), snap('b', 2, false)], 1, ['a']],
		['order of the input does not matter', [snap('c', 3), snap('a', 1), snap('b', 2)], 1, ['b', 'a']],
	];
	for (const [name, snapshots, keep, deleted] of cases) {
		it(name, () => assert.deepEqual(chooseDeletions(snapshots, keep), deleted));
	}
	it('refuses keep < 1', () => assert.throws(() => chooseDeletions([], 0), RangeError));
});

describe('snapshot flags', () => {
	it('parses and validates', () => {
		const options = parseSnapshotOptions({keep: '3', snapshotEvery: '6h', snapshotDir: '/x'}, {});
		assert.equal(options.keep, 3);
		assert.equal(options.everyMs, 6 * 3_600_000);
		assert.equal(options.snapshotDir, '/x');
	});
	for (const [flags, input] of [
		[{keep: '0'}, '--keep'],
		[{keep: 'two'}, '--keep'],
		[{snapshotEvery: 'soon'}, '--snapshot-every'],
		[{snapshotEvery: '1s'}, '--snapshot-every'],
		[{encryptTo: ['age1nope']}, '--encrypt-to'],
		[{encryptTo: [generateIdentity().recipient], encryptPassphrase: true}, '--encrypt-passphrase'],
		[{identity: ['/nonexistent/key.txt']}, '--identity'],
	] as const) {
		it(`rejects ${JSON.stringify(flags)} naming ${input}`, () => {
			assert.throws(() => parseSnapshotOptions(flags, {}), (error: unknown) => error instanceof ConfigError && error.input === input);
		});
	}
	it('default directory follows XDG_DATA_HOME', () => {
		assert.equal(defaultSnapshotDir({XDG_DATA_HOME: '/data'}, '/home/u'), '/data/etcdtop/snapshots');
		assert.equal(defaultSnapshotDir({}, '/home/u'), '/home/u/.local/share/etcdtop/snapshots');
	});
	it('save target: bare names go into an explicit --snapshot-dir, paths stay, no FILE gets a timestamp', () => {
		const at = new Date('2026-11-22T16:05:09.123Z');
		const explicit = {snapshotDir: '/snaps', isSnapshotDirExplicit: true};
		const implicit = {snapshotDir: '/snaps', isSnapshotDirExplicit: false};
		assert.equal(resolveSaveTarget('a.db', explicit, false, at).path, '/snaps/a.db');
		assert.equal(resolveSaveTarget('./a.db', explicit, false, at).path, join(process.cwd(), 'a.db'));
		assert.equal(resolveSaveTarget('a.db', implicit, false, at).path, join(process.cwd(), 'a.db'));
		assert.equal(resolveSaveTarget(undefined, implicit, true, at).path, '/snaps/etcd-snapshot-20261122T160509Z.db.age');
		assert.equal(resolveSaveTarget('/x/a.db.age', implicit, true, at).path, '/x/a.db.age');
		assert.equal(snapshotFileName(at, false), 'etcd-snapshot-20261122T160509Z.db');
	});
});

describe('restore plan', () => {
	const members: PlanMember[] = [
		{name: 'etcd-1', peerUrls: ['https://10.0.0.1:2380'], clientUrls: ['https://10.0.0.1:2379'], isLearner: false},
		{name: "it's-2", peerUrls: ['https://10.0.0.2:2380'], clientUrls: ['https://10.0.0.2:2379'], isLearner: false},
		{name: 'learner', peerUrls: ['https://10.0.0.3:2380'], clientUrls: [], isLearner: true},
	];
	it('chooses the tool from the version', () => {
		assert.equal(toolForVersion('3.4.23'), 'etcdctl');
		assert.equal(toolForVersion('3.5.0'), 'etcdutl');
		assert.equal(toolForVersion('3.6.1'), 'etcdutl');
		assert.equal(toolForVersion(undefined), 'etcdctl');
	});
	it('builds exact argv per member in the runbook order, quoted once', () => {
		const plan = buildRestorePlan({snapshotPath: '/b/snap.db', isEncrypted: false, dataDir: '/var/lib/etcd-{name}', members, etcdVersion: '3.5.9', token: 'tok-1', membersFrom: 'live'});
		assert.equal(plan.tool, 'etcdutl');
		assert.deepEqual(
			plan.phases.map(phase => phase.title.split(' ').slice(0, 2).join(' ')),
			['Stop every', 'Stop etcd', 'Restore every', 'Start etcd', 'Check the', 'Restart every'],
		);
		const restore = plan.phases[2]!.steps;
		assert.equal(restore.length, 2, 'the learner is not restored');
		assert.deepEqual(restore[0]!.argv, [
			'etcdutl', 'snapshot', 'restore', '/b/snap.db', '--name', 'etcd-1',
			'--initial-cluster', "etcd-1=https://10.0.0.1:2380,it's-2=https://10.0.0.2:2380",
			'--initial-cluster-token', 'tok-1', '--initial-advertise-peer-urls', 'https://10.0.0.1:2380', '--data-dir', '/var/lib/etcd-etcd-1',
		]);
		assert.match(restore[1]!.command!, /--name 'it'\\''s-2'/);
		assert.match(renderRestorePlan(plan), /learner is a learner/);
	});
	it('adds a decrypt step for FILE.age', () => {
		const plan = buildRestorePlan({snapshotPath: '/b/snap.db.age', isEncrypted: true, dataDir: '/d', members: members.slice(0, 1), etcdVersion: '3.4.23', token: 't', membersFrom: 'manifest'});
		const decrypt = plan.phases.find(phase => phase.title.startsWith('Decrypt'))!;
		assert.deepEqual(decrypt.steps[0]!.argv, ['age', '--decrypt', '--identity', 'KEY_FILE', '--output', '/b/snap.db', '/b/snap.db.age']);
		assert.equal(plan.phases.find(phase => phase.title.startsWith('Restore'))!.steps[0]!.argv![0], 'etcdctl');
		assert.equal(plan.phases.find(phase => phase.title.startsWith('Restore'))!.steps[0]!.argv![3], '/b/snap.db');
	});
});

describe('age format', () => {
	it('bech32 round trip and checksum', () => {
		const data = randomBytes(32);
		const text = bech32Encode('age', data);
		assert.deepEqual(bech32Decode(text)?.data, data);
		assert.equal(bech32Decode(text.slice(0, -1) + (text.endsWith('q') ? 'p' : 'q')), undefined);
		assert.deepEqual(parseRecipient(text), data);
	});
	it('encrypts in chunks and reads any range back; the wrong key and a flipped byte are refused', async () => {
		const dir = tempDir();
		try {
			const {identity, recipient} = generateIdentity();
			const other = generateIdentity();
			for (const size of [0, 1, 65_536, 65_537, 300_000]) {
				const plain = randomBytes(size);
				const encryptor = new AgeEncryptor([{kind: 'x25519', publicKey: parseRecipient(recipient)!}, {kind: 'x25519', publicKey: parseRecipient(other.recipient)!}]);
				const out: Buffer[] = [];
				for (let at = 0; at < size; at += 7000) encryptor.push(plain.subarray(at, at + 7000), bytes => out.push(Buffer.from(bytes)));
				encryptor.end(bytes => out.push(bytes));
				const path = join(dir.path, `f${size}.age`);
				writeFileSync(path, Buffer.concat(out));
				const source = openAgeFileSource(path, {identities: parseIdentities(`# key\n${identity}\n`).map(secretKey => ({kind: 'x25519' as const, secretKey}))});
				assert.equal(source.size, size);
				assert.ok(source.read(0, size).equals(plain));
				if (size > 70_000) assert.ok(source.read(65_000, 2000).equals(plain.subarray(65_000, 67_000)));
				source.close();
			}
			const path = join(dir.path, 'f300000.age');
			const stranger = generateIdentity();
			assert.throws(() => unwrapFileKey(parseHeader(readFileSync(path)), parseIdentities(stranger.identity).map(secretKey => ({kind: 'x25519' as const, secretKey}))), /no given identity/);
			const bytes = readFileSync(path);
			bytes[bytes.length - 100]! ^= 1;
			writeFileSync(path, bytes);
			assert.throws(() => {
				const source = openAgeFileSource(path, {identities: parseIdentities(identity).map(secretKey => ({kind: 'x25519' as const, secretKey}))});
				source.read(0, 300_000);
			}, /fails authentication/);
		} finally {
			dir.remove();
		}
	});
	it('passphrase (scrypt) round trip', () => {
		const dir = tempDir();
		try {
			const encryptor = new AgeEncryptor([{kind: 'scrypt', passphrase: 'pw', logN: 10}]);
			const out: Buffer[] = [];
			encryptor.push(Buffer.from('hello'), bytes => out.push(bytes));
			encryptor.end(bytes => out.push(bytes));
			const path = join(dir.path, 'p.age');
			writeFileSync(path, Buffer.concat(out));
			assert.equal(openAgeFileSource(path, {identities: [{kind: 'scrypt', passphrase: 'pw'}]}).read(0, 5).toString(), 'hello');
			assert.throws(() => openAgeFileSource(path, {identities: [{kind: 'scrypt', passphrase: 'nope'}]}), /passphrase does not decrypt/);
		} finally {
			dir.remove();
		}
	});
	it('an encrypted save leaves only ciphertext, and the sha256 is still checked', async () => {
		const dir = tempDir();
		try {
			const db = randomBytes(200_000);
			const sha = createHash('sha256').update(db).digest();
			const open = () =>
				(async function* () {
					for (let at = 0; at < db.length; at += 32_768) yield {blob: db.subarray(at, at + 32_768), remainingBytes: Math.max(0, db.length - at - 32_768)};
					yield {blob: sha, remainingBytes: 0};
				})();
			const {identity, recipient} = generateIdentity();
			const encryptor = new AgeEncryptor([{kind: 'x25519', publicKey: parseRecipient(recipient)!}]);
			const path = join(dir.path, 's.db.age');
			const saved = await saveSnapshot(open, {path, isOverwriting: false, idleTimeoutMs: 10_000, encryptor});
			const file = readFileSync(path);
			// Both hashes, each for what it is: the ciphertext file's (sha256sum) and etcd's of the plaintext database.
			assert.equal(saved.fileSha256, createHash('sha256').update(file).digest('hex'));
			assert.equal(saved.etcdSha256, sha.toString('hex'));
			assert.ok(!file.includes(db.subarray(1000, 1064)));
			const source = openAgeFileSource(path, {identities: parseIdentities(identity).map(secretKey => ({kind: 'x25519' as const, secretKey}))});
			assert.ok(source.read(0, db.length + 32).equals(Buffer.concat([db, sha])));
			source.close();
		} finally {
			dir.remove();
		}
	});
});
