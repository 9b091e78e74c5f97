import {parseEtcdMetrics} from '../model/etcd-metrics.js';
import type {Config} from '../config/config.js';
import {connectOptionsOf} from '../config/connect-options.js';
import {ClassifiedError} from '../etcd/errors.js';
import type {MemberClient} from '../etcd/member-client.js';
import {credentialsRefusal, observeCluster} from '../route/observe.js';
import {clientPool} from '../route/client-pool.js';
import {createRoutes, type Routes} from '../route/routes.js';
import {scanRange} from '../etcd/range-scan.js';
import type {MemberInfo} from '../etcd/types.js';
import {totalsOf, UsageTally, type PrefixUsage, type UsageTotals} from '../model/usage.js';
import type {CommandLogFile} from '../output/command-log-file.js';
import type {DefragState, QuotaSource, Target} from '../ops/defrag-workflow.js';
import {requestEndpoint, type Observation} from '../model/observation.js';
import type {CommandLogEntry} from '../ops/runner.js';
import {chooseSourceMember} from '../snapshot/source-member.js';

type Calls = Pick<MemberClient, 'status' | 'memberList' | 'defragment' | 'compact' | 'alarmList' | 'disarmNospace' | 'linearizableRead' | 'hashKv' | 'rangePage'>;

export interface LiveUsage {
	readonly member: string;
	readonly endpoint: string;
	readonly revision: number;
	readonly depth: number;
	readonly prefix: string;
	readonly rows: readonly PrefixUsage[];
	readonly totals: UsageTotals;
	readonly isTruncated: boolean;
}

/** What the maintenance commands use of the cluster: clients, the observation, quotas, usage, the command log. */
export interface MaintenanceContext {
	readonly client: (endpoint: string) => Calls;
	readonly observe: () => Promise<Observation>;
	readonly readQuota: (member: Target) => Promise<number | undefined>;
	readonly quotasOf: (observation: Observation, quotaFlag: number | undefined) => Promise<DefragState['quotas']>;
	/** The leader's endpoint, else any voter that answered. */
	readonly answeringEndpoint: (observation: Observation) => string;
	readonly usage: (prefix: string, depth: number, from: string | undefined) => Promise<LiveUsage>;
	readonly logChange: (entry: CommandLogEntry) => void;
	readonly commandTimeoutMs: number;
	readonly close: () => Promise<void>;
}

/** The quota gauge from a /metrics text (the one /metrics parser); undefined when the member does not export it. */
export function quotaFromMetrics(text: string): number | undefined {
	let value: number | undefined;
	try {
		value = parseEtcdMetrics(text).quotaBytes;
	} catch {
		return undefined;
	}
	return value !== undefined && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** The operator's input is the problem (`input` names the flag); the command makes it a usage error, exit 3. */
export class MaintenanceInputError extends Error {
	constructor(readonly input: string, readonly problem: string, readonly fix: string) {
		super(`${input}: ${problem} (${fix})`);
	}
}

/** `logFile`: --command-log, opened (and closed) by the command that took the flag. */
export async function openMaintenanceContext(config: Config, via: {readonly routes: Routes} | undefined, logFile: CommandLogFile): Promise<MaintenanceContext> {
	const connect = connectOptionsOf(config);
	const routes = via?.routes ?? createRoutes(connect);
	const clients = clientPool(routes);
	const client = (endpoint: string): Calls => clients.client(endpoint);
	// A member busy finishing a defrag answers slowly: two seconds keeps it from looking dead.
	const statusTimeoutMs = Math.max(config.probeTimeoutMs, 2000);
	let known: readonly MemberInfo[] = [];

	/** The one observation (route/observe.ts); no member list at all is an error, as a workflow's observe-failed. */
	const observe = async (): Promise<Observation> => {
		// Linearizable (3.5+): defrag and the other runbook steps act on the cluster's current list.
		const result = await observeCluster(client, {seeds: config.endpoints, known, isLinearizable: true, listTimeoutMs: config.commandTimeoutMs, statusTimeoutMs});
		// A wrong user or password, or a user without the root role Status needs, is the operator's to fix (exit 3).
		const refusal = credentialsRefusal(result);
		if (refusal) throw refusal;
		// Its kind travels with it: 'no-leader' (an election is under way) is waited out, not refused at once.
		if (result.kind === 'no-member-list') throw new ClassifiedError({kind: result.failureKind, message: result.message});
		known = result.reading.members;
		return result.reading;
	};

	const readQuota = async (member: Target): Promise<number | undefined> => {
		const answer = await routes.httpGet(member.endpoint, '/metrics', {timeoutMs: config.commandTimeoutMs, maxBytes: 8 << 20});
		if (answer.status !== 200) throw new Error(`/metrics answered HTTP ${answer.status}`);
		return quotaFromMetrics(answer.body);
	};

	const quotasOf = async (observation: Observation, quotaFlag: number | undefined): Promise<DefragState['quotas']> => {
		const quotas: Record<string, {bytes: number; source: QuotaSource}> = {};
		await Promise.all(
			observation.members.map(async member => {
				const status = observation.statuses[member.id];
				if (status?.dbSizeQuota) quotas[member.id] = {bytes: Number(status.dbSizeQuota), source: 'status'};
				else if (quotaFlag !== undefined) quotas[member.id] = {bytes: quotaFlag, source: 'flag'};
				else if (status && member.clientUrls[0]) {
					const bytes = await readQuota({id: member.id, name: member.name, endpoint: member.clientUrls[0]}).catch(() => undefined);
					if (bytes !== undefined) quotas[member.id] = {bytes, source: 'metrics'};
				}
			}),
		);
		return quotas;
	};

	const answeringEndpoint = (observation: Observation): string => {
		const endpoint = requestEndpoint(observation);
		if (!endpoint) throw new Error('no voter answers');
		return endpoint;
	};

	const usage = async (prefix: string, depth: number, from: string | undefined): Promise<LiveUsage> => {
		const observation = await observe();
		const probes = observation.members.flatMap(member => {
			const status = observation.statuses[member.id];
			return member.clientUrls[0] ? [{endpoint: member.clientUrls[0], status, failure: status ? undefined : observation.failures[member.id]}] : [];
		});
		const choice = chooseSourceMember(observation.members, probes, from);
		if (choice.kind === 'unknown-member') throw new MaintenanceInputError('--from', `no member is named or has the ID "${from}"`, 'use a name or hex ID from etcdtop status');
		if (choice.kind === 'ambiguous-member') throw new MaintenanceInputError('--from', `more than one member is named "${from}"`, 'use its hex ID from etcdtop status');
		if (choice.kind !== 'chosen') throw new Error(`no member to read from: ${choice.failures.join('; ') || 'none answers'}`);
		const tally = new UsageTally(depth);
		let revision = 0;
		for await (const page of scanRange(client(choice.endpoint).rangePage, {prefix: Buffer.from(prefix), isKeysOnly: false, timeoutMs: Math.max(config.commandTimeoutMs, 30_000)})) {
			revision = page.revision;
			for (const entry of page.entries) tally.addKey(entry.key.toString('latin1'), entry.key.length, entry.valueSize);
		}
		const rows = tally.rows(false);
		return {member: choice.member.name || choice.member.id, endpoint: choice.endpoint, revision, depth, prefix, rows, totals: totalsOf(rows, false), isTruncated: tally.isTruncated};
	};

	const logChange = (entry: CommandLogEntry) => logFile.change(entry);

	return {
		client,
		observe,
		readQuota,
		quotasOf,
		answeringEndpoint,
		usage,
		logChange,
		commandTimeoutMs: config.commandTimeoutMs,
		close: async () => {
			clients.close();
			// The --via routes belong to the connection; routes made here are ours to close.
			if (!via) await routes.close();
		},
	};
}
