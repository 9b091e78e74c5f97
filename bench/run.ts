// `npm run bench [-- NAME…]`: every benchmark, or the named ones, then one table of figures and targets.
import type {BenchRow} from './measure.js';

const benches: Readonly<Record<string, () => Promise<{run: (log: (line: string) => void) => Promise<BenchRow[]>}>>> = {
	status: async () => import('./status.js'),
	console: async () => import('./console.js'),
	'member-replace': async () => import('./member-replace.js'),
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
