import {readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import type {EndpointStatus, MemberList} from '../../source/etcd/types.js';

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
