import {randomBytes} from 'node:crypto';
import {statSync} from 'node:fs';
import {resolve} from 'node:path';
import type {Config} from '../config/config.js';
import {parseWriteFormat} from '../config/write-format.js';
import {ConfigError} from '../config/errors.js';
import {CredentialsRefusedError} from '../etcd/errors.js';
import {credentialsRefusal, observeOnce} from '../route/observe.js';
import {createRoutes, type Routes} from '../route/routes.js';
import {memberListSource} from '../model/observation.js';
import {buildRestorePlan, hasEtcdctlRestore, renderRestorePlan, restoredDataDirOf, type ListSource, type PlanMember, type RestoreTool} from '../snapshot/restore-plan.js';
import {restorePlanContextOf} from '../config/printed-client.js';
import {readManifestOf} from '../snapshot/snapshot-dir.js';
import {baseNameOfKey, isS3Url} from '../snapshot/remote-name.js';
import type {S3SettingsInput} from '../config/s3-options.js';
import {connectOptionsOf} from '../config/connect-options.js';
import {resolvedConfig, type CommandContext, type CommandIo} from './context.js';

export interface RestorePlanOptions {
	readonly dataDir: string | undefined;
	readonly format: string | undefined;
	readonly tool: string | undefined;
	/** Where s3:// objects are (endpoint, addressing). */
	readonly s3?: S3SettingsInput;
	/** How members are reached (--via); default direct. */
	readonly routes?: Routes;
}

/** A fresh --initial-cluster-token: the restored cluster must not accept the old cluster's peers. */
export function freshToken(): string {
	return `etcd-restore-${new Date().toISOString().slice(0, 10)}-${randomBytes(4).toString('hex')}`;
}

/**
 * The live member list by the one observation, and the version a member reports; undefined when the cluster
 * did not answer (the plan then comes from the manifest, and says so). Refused credentials throw
 * CredentialsRefusedError (exit 3): a wrong password is the operator's to fix, never a reason to plan from
 * a manifest that may be stale.
 */
async function liveMembers(config: Config, routes: Routes | undefined): Promise<{members: PlanMember[]; version: string | undefined; listFrom: ListSource | undefined} | undefined> {
	// A restore plan is most needed when the cluster is gone: a short dial, then the manifest.
	const observed = await observeOnce(routes ?? createRoutes({...connectOptionsOf(config), dialTimeoutMs: Math.min(config.dialTimeoutMs, 2000)}), {
		seeds: config.endpoints,
		isDiscovering: false,
		listTimeoutMs: config.commandTimeoutMs,
		statusTimeoutMs: config.commandTimeoutMs,
	});
	const refusal = credentialsRefusal(observed);
	if (refusal) throw refusal;
	if (observed.kind !== 'observed') return undefined;
	const {members, statuses, listFrom} = observed.reading;
	const version = Object.values(statuses)[0]?.version;
	// Serializable on purpose: a restore is planned when the cluster may have no quorum, and the plan says so.
	const source = memberListSource(listFrom, members, statuses);
	return {
		members: members.map(member => ({name: member.name, peerUrls: member.peerUrls, clientUrls: member.clientUrls, isLearner: member.isLearner})),
		version,
		listFrom: source && {text: source.text, isLinearizable: source.isLinearizable},
	};
}

/**
 * `etcdtop snapshot restore-plan FILE --data-dir DIR [-w json] [--tool etcdctl|etcdutl]`: prints the restore
 * commands for every member (from the live member list, else the manifest) in the runbook's order. Runs nothing.
 */
export async function snapshotRestorePlanCommand(configOf: (() => Config | Promise<Config>) | undefined, file: string, options: RestorePlanOptions, io: CommandIo): Promise<number> {
	const isRemote = isS3Url(file);
	const format = parseWriteFormat(options.format, ['table', 'json'], 'restore-plan');
	if (options.tool !== undefined && options.tool !== 'etcdctl' && options.tool !== 'etcdutl') {
		throw new ConfigError('--tool', `"${options.tool}" is not a restore tool`, 'use etcdctl (etcd 3.4) or etcdutl (etcd 3.5+)');
	}
	// An s3:// object is planned from its manifest, and fetched to the working directory of each host first.
	const path = isRemote ? baseNameOfKey(file) : resolve(file);
	if (!isRemote) {
		let isRegular: boolean;
		try {
			isRegular = statSync(path).isFile();
		} catch {
			throw new ConfigError('FILE', `${file} does not exist`, 'give the path of a snapshot file');
		}
		if (!isRegular) throw new ConfigError('FILE', `${file} is not a regular file`, 'give the path of a snapshot file');
	}
	// The connection flags (and a kubeadm manifest, which says where etcd keeps its data) before the data dir.
	const config = configOf ? await configOf() : undefined;
	// The kubeadm layout and the check's TLS files and user as the Config recorded them, as the console's pane has them.
	const {kubeadm, client} = restorePlanContextOf(config);
	const dataDir = options.dataDir ?? (kubeadm ? restoredDataDirOf(kubeadm) : undefined);
	if (!dataDir) throw new ConfigError('--data-dir', 'the new data dir is needed', 'e.g. --data-dir /var/lib/etcd-restored ({name} becomes each member\'s name)');
	let manifest;
	try {
		manifest = isRemote ? await (await import('./snapshot-s3.js')).remoteManifestFor(file, options.s3 ?? {endpoint: undefined, isPathStyle: false}) : readManifestOf(path);
	} catch (error) {
		if (error instanceof ConfigError) throw error;
		io.err(`snapshot restore-plan: ${(error as Error).message}`);
		return 1;
	}
	const live = config
		? await liveMembers(config, options.routes).catch((error: unknown) => {
				if (error instanceof CredentialsRefusedError) throw error;
				return undefined;
			})
		: undefined;
	const members = live?.members ?? manifest?.members;
	if (!members || members.length === 0) {
		io.err(`snapshot restore-plan: the cluster did not answer and ${isRemote ? file : path}.meta.json is missing: no member list to plan with`);
		return 1;
	}
	const etcdVersion = live?.version ?? manifest?.etcdVersion;
	if (options.tool === 'etcdctl' && !hasEtcdctlRestore(etcdVersion)) {
		throw new ConfigError('--tool', `etcd ${etcdVersion} has no etcdctl snapshot restore (3.6 removed it, and snapshot status)`, 'use --tool etcdutl, or leave --tool out to pick by version');
	}
	const plan = buildRestorePlan({
		snapshotPath: path,
		isEncrypted: path.endsWith('.age') || manifest?.encryption !== undefined,
		dataDir,
		members,
		etcdVersion,
		...(options.tool ? {tool: options.tool as RestoreTool} : {}),
		token: freshToken(),
		membersFrom: live ? 'live' : 'manifest',
		...(isRemote ? {fetchFrom: file} : {}),
		client,
		...(kubeadm ? {kubeadm} : {}),
		...(live?.listFrom ? {listFrom: live.listFrom} : {}),
	});
	io.out(format === 'json' ? JSON.stringify(plan, undefined, 2) : renderRestorePlan(plan));
	return 0;
}

/**
 * `etcdtop snapshot restore-plan FILE`: the Config (with the kubeadm detection of every command: --kubeadm DIR,
 * or this control-plane node's manifest) asks the live cluster for its members and says how etcd runs.
 */
export async function snapshotRestorePlanCli({args: [file], flags, io}: CommandContext): Promise<number> {
	const s3 = isS3Url(file) ? (await import('../config/s3-options.js')).parseS3Settings(flags) : undefined;
	return snapshotRestorePlanCommand(async () => resolvedConfig(flags, io), file!, {dataDir: flags.dataDir, format: flags.writeOut, tool: flags.tool, ...(s3 ? {s3} : {})}, io);
}
