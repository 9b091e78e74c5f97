import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {after, before, describe, it} from 'node:test';
import {fileURLToPath} from 'node:url';
import {parse as parseYaml} from 'yaml';
import {LocalCluster} from '../../source/demo/local-cluster.js';
import {runCli} from '../helpers/cli.js';
import {S3Server, s3Credentials} from '../helpers/s3.js';
import {hasEtcd} from '../helpers/snapshot-fixtures.js';

const contrib = (path: string) => readFileSync(fileURLToPath(new URL(`../../../contrib/${path}`, import.meta.url)), 'utf8');

/** A systemd unit file: section -> key -> values (a key may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
	const sections = new Map<string, Map<string, string[]>>();
	let current: Map<string, string[]> | undefined;
	for (const raw of text.split('\n')) {
		const line = raw.trim();
		if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
		const section = /^\[(.+)\]$/.exec(line);
		if (section) {
			current = new Map();
			sections.set(section[1]!, current);
			continue;
		}
		const pair = /^([A-Za-z]+)=(.*)$/.exec(line);
		assert.ok(pair && current, `not a unit file line: ${line}`);
		current.set(pair[1]!, [...(current.get(pair[1]!) ?? []), pair[2]!]);
	}
	return sections;
}

/**
 * The scheduled command, run here: etcdtop is the built CLI, the endpoint the test cluster's, and the TLS
 * files are dropped (the test cluster speaks plain HTTP); everything else (the s3:// target, the retention
 * policy) is run as written.
 */
function localArgv(argv: readonly string[], endpoint: string): string[] {
	assert.match(argv[0]!, /(^|\/)etcdtop$/);
	const out: string[] = [];
	for (let index = 1; index < argv.length; index++) {
		const word = argv[index]!;
		if (word === '--cacert' || word === '--cert' || word === '--key') {
			index++;
			continue;
		}
		if (word === '--endpoints') {
			out.push(word, endpoint);
			index++;
			continue;
		}
		out.push(word);
	}
	return out;
}

describe('the scheduling files in contrib/ parse, and their command lines run', {skip: !hasEtcd && 'etcd not installed', timeout: 600_000}, () => {
	let cluster: LocalCluster;
	let s3: S3Server;
	before(async () => {
		s3 = await S3Server.start(['etcd-backups']);
		cluster = await LocalCluster.start({members: 1});
	});
	after(async () => {
		await cluster?.stop();
		await s3?.stop();
	});

	/** Runs the command twice; returns how many snapshots hourly retention keeps: 1 when both fell in one UTC hour. */
	const runTwice = async (argv: readonly string[]): Promise<number> => {
		const env = {...s3Credentials, AWS_ENDPOINT_URL_S3: s3.endpoint};
		const hours = new Set<string>();
		for (let round = 0; round < 2; round++) {
			hours.add(new Date().toISOString().slice(0, 13));
			const result = await runCli(localArgv(argv, cluster.endpoints[0]!), {env, timeoutMs: 120_000});
			assert.equal(result.code, 0, result.stderr);
			hours.add(new Date().toISOString().slice(0, 13));
			await new Promise(resolve => setTimeout(resolve, 1100));
		}
		return hours.size === 1 ? 1 : 2;
	};

	it('systemd: a oneshot service with its credentials in an EnvironmentFile, started hourly by the timer', async () => {
		const service = parseUnit(contrib('systemd/etcdtop-backup.service'));
		const timer = parseUnit(contrib('systemd/etcdtop-backup.timer'));
		assert.equal(service.get('Service')?.get('Type')?.[0], 'oneshot');
		assert.ok(service.get('Service')?.get('EnvironmentFile')?.[0]);
		assert.equal(timer.get('Timer')?.get('OnCalendar')?.[0], 'hourly');
		assert.equal(timer.get('Install')?.get('WantedBy')?.[0], 'timers.target');
		const exec = service.get('Service')!.get('ExecStart')![0]!;
		assert.doesNotMatch(exec, /AWS_|SECRET|PASSWORD/i, 'no secret in argv');
		const argv = exec.split(/\s+/);
		const kept = await runTwice(argv);
		// Two saves in one hour under hourly=24: retention keeps the newer.
		const objects = s3.objectKeys('etcd-backups').filter(key => key.startsWith('prod/') && key.endsWith('.db'));
		assert.equal(objects.length, kept, objects.join(', '));
	});

	it('Kubernetes: a CronJob whose container command is the same save, credentials from a Secret', async () => {
		const cronJob = parseYaml(contrib('kubernetes/etcdtop-backup-cronjob.yaml')) as {
			kind: string;
			spec: {schedule: string; concurrencyPolicy: string; jobTemplate: {spec: {template: {spec: {containers: Array<{command: string[]; envFrom: Array<{secretRef?: {name: string}}>}>}}}}};
		};
		assert.equal(cronJob.kind, 'CronJob');
		assert.equal(cronJob.spec.concurrencyPolicy, 'Forbid');
		assert.equal(cronJob.spec.schedule.split(' ').length, 5);
		const container = cronJob.spec.jobTemplate.spec.template.spec.containers[0]!;
		assert.ok(container.envFrom.some(source => source.secretRef?.name));
		assert.doesNotMatch(container.command.join(' '), /AWS_|SECRET|PASSWORD/i, 'no secret in argv');
		const kept = await runTwice(container.command);
		const objects = s3.objectKeys('etcd-backups').filter(key => key.startsWith('prod/') && key.endsWith('.db'));
		assert.ok(objects.length >= 1 && objects.length <= kept, objects.join(', '));
	});
});
