import {readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import type {EndpointStatus, MemberList} from '../../source/etcd/types.js';
import type {SnapshotManifest} from '../../source/model/snapshot-entry.js';

function load<T>(name: string): T {
	return JSON.parse(readFileSync(fileURLToPath(new URL(`../../../test/fixtures/${name}`, import.meta.url)), 'utf8')) as T;
}

/** A real 3-member cluster's answers, captured by capture-fixtures.ts. */
export const cluster3 = load<{endpoints: string[]; memberList: MemberList; statuses: EndpointStatus[]}>('cluster-3.json');

/** Real grpc error messages from etcd3 for a hung, a dead, a wrongly trusted and an unresolvable member. */
export const grpcErrors = load<Record<'timeout' | 'refused' | 'tls' | 'tlsNoCert' | 'dns', string>>('grpc-errors.json');

function text(name: string): string {
	return readFileSync(fileURLToPath(new URL(`../../../test/fixtures/${name}`, import.meta.url)), 'utf8');
}

/** /metrics of a real 3-member cluster's first member, by etcd version, captured by capture-metrics.ts. */
export const metricsText = {
	'3.4.23': text('metrics-etcd-3.4.23.txt'),
	'3.5.30': text('metrics-etcd-3.5.30.txt'),
} as const;

/** A snapshot's manifest as the Snapshots pane shows it: a 2-member 3.5 cluster, taken from etcd-2. */
export function paneManifest(name: string, revision: number, createdAt: number): SnapshotManifest {
	return {
		manifestVersion: 1,
		file: name,
		createdAt: new Date(createdAt).toISOString(),
		clusterId: 'c0ffee',
		member: {id: 'a1', name: 'etcd-2', endpoint: 'http://127.0.0.1:2379'},
		revision,
		raftTerm: 3,
		raftIndex: revision + 7,
		sha256: 'ab'.repeat(32),
		size: 1_000_000,
		fileSize: 1_000_032,
		totalKey: 42,
		etcdVersion: '3.5.12',
		members: [
			{name: 'etcd-1', id: 'a0', peerUrls: ['http://10.0.0.1:2380'], clientUrls: ['http://10.0.0.1:2379'], isLearner: false},
			{name: 'etcd-2', id: 'a1', peerUrls: ['http://10.0.0.2:2380'], clientUrls: ['http://10.0.0.2:2379'], isLearner: false},
		],
	};
}
