// `etcdtop status -w json` side by side with `etcdctl endpoint status --cluster -w json` on one
// loopback cluster: healthy, then with one member SIGSTOPped.
import {fileURLToPath} from 'node:url';
import {LocalCluster} from '../source/demo/local-cluster.js';
import {fmt, median, timeProcess, type BenchRow} from './measure.js';

const cli = fileURLToPath(new URL('../../bin/etcdtop.js', import.meta.url));

export async function run(log: (line: string) => void = console.log): Promise<BenchRow[]> {
	const cluster = await LocalCluster.start({members: 3, namePrefix: 'bench'});
	const endpoints = cluster.endpoints.join(',');
	const env = {...process.env, ETCDCTL_API: '3'};
	const ours = () => timeProcess(process.execPath, [cli, 'status', '-w', 'json', '--endpoints', endpoints], env);
	const theirs = () => timeProcess('etcdctl', ['--endpoints', endpoints, 'endpoint', 'status', '--cluster', '-w', 'json'], env);
	try {
		await ours();
		await theirs();
		const healthyOurs: number[] = [];
		const healthyTheirs: number[] = [];
		for (let round = 0; round < 9; round++) {
			healthyOurs.push((await ours()).ms);
			healthyTheirs.push((await theirs()).ms);
		}
		const hungName = cluster.members[1]!.name;
		cluster.signal(hungName, 'SIGSTOP');
		const hungOurs: number[] = [];
		const hungTheirs: number[] = [];
		let theirRows = 0;
		try {
			for (let round = 0; round < 5; round++) hungOurs.push((await ours()).ms);
			for (let round = 0; round < 3; round++) {
				const result = await theirs();
				hungTheirs.push(result.ms);
				theirRows = (result.stdout.match(/"Endpoint"/g) ?? []).length;
			}
		} finally {
			cluster.signal(hungName, 'SIGCONT');
		}
		const [a, b, c, d] = [median(healthyOurs), median(healthyTheirs), median(hungOurs), median(hungTheirs)];
		log(`status, 3 healthy members: etcdtop ${fmt(a)}, etcdctl ${fmt(b)} (medians of 9)`);
		log(`status, 1 of 3 SIGSTOPped: etcdtop ${fmt(c)}, etcdctl ${fmt(d)} and ${theirRows} of 3 rows (medians of 5 and 3)`);
		return [
			{what: 'status -w json, 3 healthy', etcdtop: fmt(a), etcdctl: fmt(b), ratio: `${(a / b).toFixed(2)}x`, target: '<= 350 ms', isMet: a <= 350},
			{what: 'status -w json, 1 SIGSTOPped', etcdtop: fmt(c), etcdctl: `${fmt(d)}, ${theirRows}/3 rows`, ratio: `${(c / d).toFixed(2)}x`, target: '<= probe-timeout (1s) + 300 ms', isMet: c <= 1300},
		];
	} finally {
		await cluster.stop();
	}
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
