// `npm run bench [-- NAME…]`: every benchmark, or the named ones, then one table of figures and targets.
import {fmt, type BenchRow} from './measure.js';

/** snapshot save/status of the real CLIs on a >= 256 MB database, side by side. */
async function snapshotRows(log: (line: string) => void): Promise<BenchRow[]> {
	const {run} = await import('./snapshot.js');
	const result = await run({log});
	const {medians: m} = result;
	return [
		{what: `snapshot save, ${Math.round(result.fileBytes / 1e6)} MB`, etcdtop: `${fmt(m.etcdtopSave.ms)}, ${m.etcdtopSave.maxRssMb.toFixed(0)} MB RSS`, etcdctl: `${fmt(m.etcdctlSave.ms)}, ${m.etcdctlSave.maxRssMb.toFixed(0)} MB RSS`, ratio: `${result.saveRatio.toFixed(2)}x`, target: '<= 1.0x etcdctl', isMet: result.saveRatio <= 1},
		{what: `snapshot status, ${Math.round(result.fileBytes / 1e6)} MB (crc32c ${result.crc32c})`, etcdtop: `${fmt(m.etcdtopStatus.ms)}, ${m.etcdtopStatus.maxRssMb.toFixed(0)} MB RSS`, etcdctl: `${fmt(m.etcdctlStatus.ms)}, ${m.etcdctlStatus.maxRssMb.toFixed(0)} MB RSS`, ratio: `${result.statusRatio.toFixed(2)}x`, target: '<= 1.5x etcdctl', isMet: result.statusRatio <= 1.5},
	];
}

/** Through a loopback SSH tunnel vs direct, in one run. */
async function sshRows(log: (line: string) => void): Promise<BenchRow[]> {
	const {benchSsh} = await import('./ssh.js');
	const {status, snapshot} = await benchSsh();
	log(`status median direct ${status.direct.medianMs} ms, tunnel ${status.tunnel.medianMs} ms; snapshot direct ${snapshot.direct.medianMBps} MB/s, tunnel ${snapshot.tunnel.medianMBps} MB/s`);
	return [
		{what: 'status latency through --via, median overhead', etcdtop: `+${status.medianOverheadMs.toFixed(2)} ms`, target: '< 5 ms', isMet: status.isWithinTarget},
		{what: 'snapshot save through --via vs direct', etcdtop: `${snapshot.tunnel.medianMBps} vs ${snapshot.direct.medianMBps} MB/s`, ratio: `${snapshot.ratio.toFixed(2)}x`, target: '>= 0.7x direct', isMet: snapshot.isWithinTarget},
	];
}

const benches: Readonly<Record<string, () => Promise<{run: (log: (line: string) => void) => Promise<BenchRow[]>}>>> = {
	status: async () => import('./status.js'),
	startup: async () => import('./startup.js'),
	console: async () => import('./console.js'),
	metrics: async () => import('./metrics.js'),
	'member-replace': async () => import('./member-replace.js'),
	snapshot: async () => ({run: snapshotRows}),
	ssh: async () => ({run: sshRows}),
	maintenance: async () => import('./maintenance.js'),
	s3: async () => import('./s3.js'),
};

const chosen = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(benches);
const rows: BenchRow[] = [];
for (const name of chosen) {
	const load = benches[name];
	if (!load) {
		console.error(`unknown bench "${name}"; choose from: ${Object.keys(benches).join(', ')}`);
		process.exit(3);
	}
	console.log(`== ${name}`);
	rows.push(...(await (await load()).run(line => console.log(`   ${line}`))));
}
console.log('\n| what | etcdtop | etcdctl | ratio | target | met |\n| --- | --- | --- | --- | --- | --- |');
for (const row of rows) console.log(`| ${row.what} | ${row.etcdtop} | ${row.etcdctl ?? '-'} | ${row.ratio ?? '-'} | ${row.target} | ${row.isMet ? 'yes' : 'NO'} |`);
