// The console under a real terminal (tmux): first complete frame, time to show a SIGSTOPped member
// as "timeout", and CPU and memory over 60 s on a 5-member cluster at a 1 s interval.
import {fileURLToPath} from 'node:url';
import {LocalCluster} from '../source/demo/local-cluster.js';
import {TmuxSession} from '../test/helpers/tmux.js';
import {cpuSeconds, fmt, median, memoryMb, type BenchRow} from './measure.js';
import {allOk, consolePid, row, screenAfter} from './screen.js';

const cli = fileURLToPath(new URL('../../bin/etcdtop.js', import.meta.url));
const detectionRounds = 11;

export async function run(log: (line: string) => void = console.log, {soakSeconds = 60} = {}): Promise<BenchRow[]> {
	const cluster = await LocalCluster.start({members: 5, namePrefix: 'bench'});
	const names = cluster.members.map(member => member.name);
	const endpoints = cluster.endpoints.join(',');
	try {
		const firstFrames: number[] = [];
		for (let round = 0; round < 5; round++) {
			const started = performance.now();
			const session = TmuxSession.start([process.execPath, cli, '--endpoints', endpoints]);
			try {
				firstFrames.push(await screenAfter(session, allOk(names), started));
			} finally {
				session.close();
			}
		}

		const session = TmuxSession.start([process.execPath, cli, '--endpoints', endpoints]);
		try {
			await screenAfter(session, allOk(names), performance.now());
			const detections: number[] = [];
			const victim = names[2]!;
			// A stop lands at a random point of the poll cycle, so single runs spread over a whole interval
			// (probe timeout .. probe timeout + interval): 11 rounds give a median that holds still.
			for (let round = 0; round < detectionRounds; round++) {
				// Stop at a random point of the poll cycle, as a real fault would.
				await new Promise(resolve => setTimeout(resolve, 1000 + Math.random() * 1000));
				const started = performance.now();
				cluster.signal(victim, 'SIGSTOP');
				try {
					detections.push(await screenAfter(session, screen => / timeout /.test(row(screen, victim)), started));
				} finally {
					cluster.signal(victim, 'SIGCONT');
				}
				await screenAfter(session, allOk(names), performance.now());
			}

			const pid = consolePid(session);
			const cpuBefore = cpuSeconds(pid);
			const wallBefore = performance.now();
			let peak = 0;
			for (let second = 0; second < soakSeconds; second++) {
				await new Promise(resolve => setTimeout(resolve, 1000));
				peak = Math.max(peak, memoryMb(pid).rss);
			}
			const cpuShare = ((cpuSeconds(pid) - cpuBefore) / ((performance.now() - wallBefore) / 1000)) * 100;
			const first = median(firstFrames);
			const detect = median(detections);
			log(`console first complete frame (5 members): ${fmt(first)} (median of 5; ${firstFrames.map(fmt).join(', ')})`);
			log(`SIGSTOPped member shown as timeout: ${fmt(detect)} (median of ${detectionRounds}; ${detections.map(fmt).join(', ')})`);
			log(`console over ${soakSeconds}s, 5 members, 1s interval: ${cpuShare.toFixed(2)}% of one core, peak RSS ${peak.toFixed(0)} MB`);
			return [
				{what: 'console first complete frame', etcdtop: fmt(first), target: '<= 800 ms', isMet: first <= 800},
				{what: 'SIGSTOPped member shown as timeout', etcdtop: fmt(detect), target: '<= 1.5 s', isMet: detect <= 1500},
				{what: `console CPU over ${soakSeconds}s, 5 members`, etcdtop: `${cpuShare.toFixed(2)}% of a core`, target: '< 2%', isMet: cpuShare < 2},
				{what: `console RSS over ${soakSeconds}s, 5 members`, etcdtop: `${peak.toFixed(0)} MB`, target: '< 150 MB', isMet: peak < 150},
			];
		} finally {
			session.close();
		}
	} finally {
		await cluster.stop();
	}
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
