// Captures /metrics text from a real 3-member cluster for the parser tests:
//   npm run build && node dist/test/helpers/capture-metrics.js [ETCD_BINARY]
// writes test/fixtures/metrics-etcd-<version>.txt. A client sends an odd client-api-version header
// through etcd's gRPC gateway, which etcd puts in a label value: the text then holds escaped quotes
// and backslashes exactly as etcd writes them.
import {writeFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {LocalCluster} from '../../source/demo/local-cluster.js';

const binary = process.argv[2] ?? 'etcd';
const cluster = await LocalCluster.start({members: 3, etcdBinary: binary});
try {
	const endpoint = cluster.endpoints[0]!;
	for (let index = 0; index < 50; index++) {
		const key = Buffer.from(`/fixture/key-${index}`).toString('base64');
		const value = Buffer.from(`value ${index}`).toString('base64');
		const put = await fetch(`${endpoint}/v3/kv/put`, {method: 'POST', body: JSON.stringify({key, value})});
		if (!put.ok) throw new Error(`put failed: ${put.status} ${await put.text()}`);
	}
	const range = await fetch(`${endpoint}/v3/kv/range`, {
		method: 'POST',
		headers: {'Grpc-Metadata-Client-Api-Version': '3.x "quoted" \\path\\'},
		body: JSON.stringify({key: Buffer.from('/fixture/key-1').toString('base64')}),
	});
	if (!range.ok) throw new Error(`range failed: ${range.status}`);
	// etcd observes each peer's round trip 5 s after the connection is up, then every 30 s.
	await new Promise(resolve => setTimeout(resolve, 7000));
	const text = await (await fetch(`${endpoint}/metrics`)).text();
	const version = /etcd_server_version\{server_version="([^"]+)"\}/.exec(text)?.[1] ?? 'unknown';
	const out = fileURLToPath(new URL(`../../../test/fixtures/metrics-etcd-${version}.txt`, import.meta.url));
	writeFileSync(out, text);
	console.log(`wrote ${out} (${text.length} bytes)`);
} finally {
	await cluster.stop();
}
