// One e2e scenario: a real etcd cluster, and when asked a real sshd and a throwaway PKI (its TLS
// material given to the cluster), ended by PID. When a test of the file failed (node's runner sets
// process.exitCode) or ETCDTOP_KEEP_LOGS=1, the etcd logs and sshd's log stay and their paths are printed.
import {rmSync} from 'node:fs';
import {LocalCluster, type LocalClusterOptions} from '../../source/demo/local-cluster.js';
import {etcdBinary} from './etcd-binaries.js';
import {isKeepingEvidence} from './evidence.js';
import {TestSshd} from './sshd.js';
import {makeTestPki, type TestPki} from './tls.js';


export interface ScenarioOptions {
	readonly cluster: LocalClusterOptions;
	/** Start an sshd too (DEBUG1 logs each forwarding request). */
	readonly sshd?: boolean | {readonly logLevel: 'VERBOSE' | 'DEBUG1'};
	/** Make a PKI and serve the cluster over TLS with its server certificate. */
	readonly isTls?: boolean;
	/** DNS names the server certificate also carries. */
	readonly dnsNames?: readonly string[];
}

export interface Scenario {
	readonly cluster: LocalCluster;
	readonly sshd: TestSshd | undefined;
	readonly pki: TestPki | undefined;
	/** Ends every process by PID; keeps and prints the logs when a test failed. */
	end(): Promise<void>;
}

export async function startScenario({cluster: clusterOptions, sshd: sshdOptions, isTls = false, dnsNames = []}: ScenarioOptions): Promise<Scenario> {
	const pki = isTls ? makeTestPki({dnsNames}) : undefined;
	const tls = pki ? {caFile: pki.caFile, certFile: pki.serverCertFile, keyFile: pki.serverKeyFile} : clusterOptions.tls;
	const [cluster, sshd] = await Promise.all([
		LocalCluster.start({etcdBinary: etcdBinary('etcd'), ...clusterOptions, ...(tls ? {tls} : {})}),
		sshdOptions ? TestSshd.start(typeof sshdOptions === 'object' ? sshdOptions : {}) : undefined,
	]);
	let isEnded = false;
	return {
		cluster,
		sshd,
		pki,
		async end() {
			if (isEnded) return;
			isEnded = true;
			const isKeeping = isKeepingEvidence();
			await Promise.all([cluster.stop({isKeepingFiles: isKeeping}), sshd?.dispose({isKeepingFiles: isKeeping})]);
			// A test may have stopped the cluster itself, keeping its files for this decision.
			if (!isKeeping) rmSync(cluster.baseDir, {recursive: true, force: true});
			pki?.remove();
			if (isKeeping) console.error(`etcd logs kept in ${cluster.baseDir}${sshd ? `, sshd's in ${sshd.logFile}` : ''}`);
		},
	};
}
