// Captures the snapshot fixtures the bbolt reader's unit tests read, from a real local etcd:
//   npm run build && node dist/test/helpers/capture-snapshot-fixtures.js
// tree-<version>.db.gz is an `etcdctl snapshot save` of a member filled with varied content (keys with
// overwrites and deletions, values large enough for overflow pages, a lease, a physical compaction);
// tree-<version>.live.db.gz is that member's own data-dir database, copied with the member stopped; the
// .json file holds what etcdctl's `snapshot status` printed for each, and for the snapshot without its
// trailer. They are kept to tens of kilobytes and still have branch pages with three or more children.
import {copyFileSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {gzipSync} from 'node:zlib';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {LocalCluster} from '../../source/demo/local-cluster.js';
import {etcdctlStatus, fillCluster, mustEtcdctl, tempDir} from './snapshot-fixtures.js';

const fixtures = fileURLToPath(new URL('../../../test/fixtures/snapshots/', import.meta.url));
mkdirSync(fixtures, {recursive: true});
const version = /etcdctl version: (\S+)/.exec(mustEtcdctl(['version']))?.[1] ?? 'unknown';
const dir = tempDir();
const cluster = await LocalCluster.start({members: 1});
try {
	const endpoint = cluster.endpoints[0]!;
	await fillCluster(endpoint, {keys: 150, largeValues: 3, largeValueBytes: 5000});
	const snapshot = join(dir.path, 'snapshot.db');
	mustEtcdctl([`--endpoints=${endpoint}`, 'snapshot', 'save', snapshot]);
	await cluster.stop({isKeepingFiles: true});
	const live = join(dir.path, 'live.db');
	copyFileSync(join(cluster.member('etcd-1').dataDir, 'member', 'snap', 'db'), live);
	const bare = join(dir.path, 'bare.db');
	const bytes = readFileSync(snapshot);
	writeFileSync(bare, bytes.subarray(0, bytes.length - 32));
	const statuses = {etcdVersion: version, largeValues: 3, largeValueBytes: 5000, snapshot: etcdctlStatus(snapshot), bare: etcdctlStatus(bare), live: etcdctlStatus(live)};
	// Gzipped: the free pages and the members' padding compress, the random large values do not.
	writeFileSync(join(fixtures, `tree-${version}.db.gz`), gzipSync(bytes, {level: 9}));
	writeFileSync(join(fixtures, `tree-${version}.live.db.gz`), gzipSync(readFileSync(live), {level: 9}));
	writeFileSync(join(fixtures, `tree-${version}.json`), JSON.stringify(statuses, null, '\t') + '\n');
	console.log(JSON.stringify(statuses));
} finally {
	await cluster.stop();
	cluster.destroySync();
	dir.remove();
}
