// Shared by the snapshot tests: real etcd content, real etcdctl answers, damaged copies.
import {spawnSync} from 'node:child_process';
import {createHash, randomBytes} from 'node:crypto';
import {readFileSync} from 'node:fs';
import {Etcd3} from 'etcd3';
import {hasEtcdBinary} from '../../source/demo/local-cluster.js';
import {bufferSource, scanBbolt} from '../../source/snapshot/file/bbolt.js';
import {etcdBinary, testEtcdAtLeast} from './etcd-binaries.js';

export {filesIn, flipped, tempDir, withFreshTrailer} from './temp-files.js';

export const hasEtcd = hasEtcdBinary(etcdBinary('etcd')) && spawnSync(etcdBinary('etcdctl'), ['version'], {stdio: 'ignore'}).status === 0;

/** etcdctl with none of the caller's ETCDCTL_* settings, so tests talk only to their own cluster. */
export function etcdctl(args: readonly string[], {timeoutMs = 120_000, input}: {timeoutMs?: number; input?: string} = {}): {status: number | null; stdout: string; stderr: string} {
	const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ETCDCTL_') && !key.startsWith('ETCD_')));
	const result = spawnSync(etcdBinary('etcdctl'), args, {env: {...env, ETCDCTL_API: '3'}, encoding: 'utf8', timeout: timeoutMs, ...(input === undefined ? {} : {input})});
	return {status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? ''};
}

export function mustEtcdctl(args: readonly string[], options?: {timeoutMs?: number; input?: string}): string {
	const result = etcdctl(args, options);
	if (result.status !== 0) throw new Error(`etcdctl ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
	return result.stdout;
}

/**
 * The tool that reads and restores snapshot files offline: etcdutl from 3.5 (3.5's etcdctl still does it
 * but prints a deprecation warning; 3.6 removed it), etcdctl on 3.4, which has no etcdutl.
 */
export const snapshotTool = (): 'etcdctl' | 'etcdutl' => (testEtcdAtLeast(3, 5) ? 'etcdutl' : 'etcdctl');

/** `snapshot status|restore …` with snapshotTool(): the same arguments on both. */
export function snapshotUtil(args: readonly string[], {timeoutMs = 120_000}: {timeoutMs?: number} = {}): {status: number | null; stdout: string; stderr: string} {
	if (snapshotTool() === 'etcdctl') return etcdctl(args, {timeoutMs});
	const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ETCDCTL_') && !key.startsWith('ETCD_')));
	const result = spawnSync(etcdBinary('etcdutl'), args, {env, encoding: 'utf8', timeout: timeoutMs});
	return {status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? ''};
}

export function mustSnapshotUtil(args: readonly string[]): string {
	const result = snapshotUtil(args);
	if (result.status !== 0) throw new Error(`${snapshotTool()} ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
	return result.stdout;
}

export interface EtcdctlStatus {
	readonly hash: number;
	readonly revision: number;
	readonly totalKey: number;
	readonly totalSize: number;
}

export function etcdctlStatus(file: string): EtcdctlStatus {
	return JSON.parse(mustSnapshotUtil(['snapshot', 'status', '-w', 'json', file])) as EtcdctlStatus;
}


export interface Content {
	readonly keys: number;
	readonly largeValues: number;
	readonly largeValueBytes: number;
}

/**
 * Writes varied content through a real client: many small keys with overwrites, large values, deletions,
 * keys on a lease (granted with etcdctl, so no keep-alive runs in the background) and a physical compaction.
 */
export async function fillCluster(endpoint: string, content: Content, auth?: {username: string; password: string}): Promise<void> {
	const client = new Etcd3({hosts: endpoint, ...(auth ? {auth} : {})});
	try {
		const batch = 64;
		for (let start = 0; start < content.keys; start += batch) {
			await Promise.all(
				Array.from({length: Math.min(batch, content.keys - start)}, async (_, offset) => {
					const index = start + offset;
					await client.put(`/registry/pods/ns-${index % 17}/pod-${index}`).value(`{"index":${index},"pad":"${'x'.repeat(index % 300)}"}`);
				}),
			);
		}
		for (let index = 0; index < content.keys; index += 5) await client.put(`/registry/pods/ns-${index % 17}/pod-${index}`).value(`rewritten-${index}`);
		for (let index = 0; index < content.largeValues; index++) await client.put(`/blobs/large-${index}`).value(randomBytes(content.largeValueBytes));
		await client.delete().prefix('/registry/pods/ns-3/');
		const authArgs = auth ? [`--user=${auth.username}:${auth.password}`] : [];
		const lease = /lease ([0-9a-f]+) granted/.exec(mustEtcdctl([`--endpoints=${endpoint}`, ...authArgs, 'lease', 'grant', '36000']))?.[1];
		if (!lease) throw new Error('no lease id from etcdctl');
		for (let index = 0; index < 20; index++) await client.put(`/leases/held-${index}`).value(`v${index}`);
		mustEtcdctl([`--endpoints=${endpoint}`, ...authArgs, 'put', `--lease=${lease}`, '/leases/leased-key', 'on-a-lease']);
		const revision = Number((await client.get('/leases/held-0').exec()).header.revision);
		mustEtcdctl([`--endpoints=${endpoint}`, ...authArgs, 'compaction', '--physical', String(revision - 50)]);
		for (let index = 0; index < 30; index++) await client.put(`/after/compaction-${index}`).value(`v${index}`);
	} finally {
		client.close();
	}
}

/** Turns on auth with a root user, as the etcd docs do; later calls need --user root:PASSWORD. */
export function enableAuth(endpoint: string, password: string): void {
	mustEtcdctl([`--endpoints=${endpoint}`, 'user', 'add', `root:${password}`]);
	mustEtcdctl([`--endpoints=${endpoint}`, 'auth', 'enable']);
}

/**
 * Two snapshots of an unchanged cluster hold the same database. On 3.4 they are the same bytes. From 3.5
 * each snapshot commits the backend first and every applied raft entry (an auth token request is one)
 * moves the consistent index in the `meta` bucket, so the bbolt meta pages and that bucket differ between
 * two snapshots while the data does not: there every other bucket (keys, leases, members, auth) must be
 * entry for entry the same, and the revision, key count and size etcdutl reads must agree.
 */
export function assertSameDatabase(ours: string, theirs: string): void {
	const [a, b] = [readFileSync(ours), readFileSync(theirs)];
	if (!testEtcdAtLeast(3, 5)) {
		if (!a.equals(b)) throw new Error(`${ours} and ${theirs} differ`);
		return;
	}
	if (a.length !== b.length) throw new Error(`${ours} has ${a.length} bytes, ${theirs} ${b.length}`);
	const [x, y] = [bucketDigests(a), bucketDigests(b)];
	for (const bucket of new Set([...x.keys(), ...y.keys()])) {
		if (bucket !== 'meta' && x.get(bucket) !== y.get(bucket)) throw new Error(`${ours} and ${theirs} differ in bucket ${bucket}`);
	}
	if (!x.has('key')) throw new Error(`${ours} has no key bucket`);
	const [s, t] = [etcdctlStatus(ours), etcdctlStatus(theirs)];
	for (const field of ['revision', 'totalKey', 'totalSize'] as const) {
		if (s[field] !== t[field]) throw new Error(`${ours} and ${theirs} differ in ${field}: ${s[field]} vs ${t[field]}`);
	}
}

/** sha256 of every top-level bucket's entries, in cursor order, read by our bbolt reader. */
function bucketDigests(file: Buffer): Map<string, string> {
	const hashes = new Map<string, ReturnType<typeof createHash>>();
	let current: ReturnType<typeof createHash> | undefined;
	const scan = scanBbolt(bufferSource(file.subarray(0, file.length - 32)), {
		onTopLevel: name => {
			current = createHash('sha256');
			hashes.set(name.toString('latin1'), current);
		},
		onEntry: (key, value) => {
			current?.update(`${key.length}:`).update(key).update(value === undefined ? '-' : `${value.length}:`).update(value ?? Buffer.alloc(0));
		},
	});
	if (scan.problems.length > 0) throw new Error(`damaged snapshot: ${scan.problems.join('; ')}`);
	return new Map([...hashes].map(([name, hash]) => [name, hash.digest('hex')]));
}
