// Captures the fixtures under test/fixtures from a real local cluster:
//   npm run build && node dist/test/helpers/capture-fixtures.js
// Statuses, the member list and the error messages etcd3/grpc produce for a hung, a dead and a
// wrongly trusted member are what the unit and component tests replay.
import {writeFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {LocalCluster} from '../../source/demo/local-cluster.js';
import {MemberClient} from '../../source/etcd/member-client.js';
import {makeTestPki} from './tls.js';

const out = (name: string) => fileURLToPath(new URL(`../../../test/fixtures/${name}`, import.meta.url));
const options = {dialTimeoutMs: 1000, commandTimeoutMs: 1000};

async function errorMessage(promise: Promise<unknown>): Promise<string> {
	try {
		await promise;
		return 'no error';
	} catch (error) {
		return (error as Error).message;
	}
}

const cluster = await LocalCluster.start({members: 3, namePrefix: 'etcd'});
const pki = makeTestPki();
let tlsCluster: LocalCluster | undefined;
try {
	const clients = cluster.endpoints.map(endpoint => new MemberClient(endpoint, options));
	const statuses = await Promise.all(clients.map(async client => client.status(1000)));
	const memberList = await clients[0]!.memberList(1000);
	writeFileSync(out('cluster-3.json'), JSON.stringify({endpoints: cluster.endpoints, memberList, statuses}, null, '\t') + '\n');

	cluster.signal('etcd-2', 'SIGSTOP');
	const timeout = await errorMessage(clients[1]!.status(500));
	cluster.signal('etcd-2', 'SIGCONT');
	await cluster.kill('etcd-3');
	const refused = await errorMessage(clients[2]!.status(500));

	tlsCluster = await LocalCluster.start({members: 1, tls: {caFile: pki.caFile, certFile: pki.serverCertFile, keyFile: pki.serverKeyFile}});
	const {readFileSync} = await import('node:fs');
	const wrongCa = new MemberClient(tlsCluster.endpoints[0]!, {...options, tls: {ca: readFileSync(pki.otherCaFile), cert: readFileSync(pki.clientCertFile), key: readFileSync(pki.clientKeyFile), isInsecureSkipVerify: false}});
	const tls = await errorMessage(wrongCa.status(1000));
	const noClientCert = new MemberClient(tlsCluster.endpoints[0]!, {...options, tls: {ca: readFileSync(pki.caFile), isInsecureSkipVerify: false}});
	const tlsNoCert = await errorMessage(noClientCert.status(1000));
	const dns = await errorMessage(new MemberClient('http://no-such-host.invalid:2379', options).status(1000));
	writeFileSync(out('grpc-errors.json'), JSON.stringify({timeout, refused, tls, tlsNoCert, dns}, null, '\t') + '\n');
	for (const client of [...clients, wrongCa, noClientCert]) client.close();
} finally {
	await cluster.stop();
	await tlsCluster?.stop();
	pki.remove();
}
