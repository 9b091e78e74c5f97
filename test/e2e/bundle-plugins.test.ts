import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';
import {fileURLToPath} from 'node:url';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

/** Bundles `entry` with the project's bundler plugins, as scripts/bundle.js does, and runs it. */
async function runBundled(t: {after: (fn: () => void) => void}, entry: string): Promise<string> {
	const {build} = (await import('esbuild')) as typeof import('esbuild');
	type Patch = {filter: RegExp; transform: (path: string, text: string) => string};
	const plugins = (await import(new URL('scripts/bundle-plugins.js', `file://${repo}`).href)) as {
		dependencyPatches: Patch[];
		etcd3Modules: import('esbuild').Plugin;
		patches: (list: Patch[]) => import('esbuild').Plugin;
	};
	const dir = mkdtempSync(join(tmpdir(), 'etcdtop-bundle-'));
	t.after(() => rmSync(dir, {recursive: true, force: true}));
	writeFileSync(join(dir, 'entry.mjs'), entry);
	await build({entryPoints: [join(dir, 'entry.mjs')], outfile: join(dir, 'out.mjs'), bundle: true, platform: 'node', format: 'esm', banner: {js: "import {createRequire as __createRequire} from 'node:module'; const require = __createRequire(import.meta.url);"}, plugins: [plugins.etcd3Modules, plugins.patches(plugins.dependencyPatches)], logLevel: 'silent'});
	return execFileSync(process.execPath, ['--expose-gc', join(dir, 'out.mjs')], {encoding: 'utf8'});
}

test('etcd3 as bundled gets the service constructors proto-loader would give it, each message encoded and decoded alike', async t => {
	const etcd3 = join(repo, 'node_modules/etcd3/lib/index.js');
	const out = await runBundled(
		t,
		`import etcdService from ${JSON.stringify(join(repo, 'scripts/bundle-etcd3-services.cjs'))};
		import {createRequire} from 'node:module';
		const requireFromEtcd3 = createRequire(${JSON.stringify(etcd3)});
		const options = {keepCase: true, longs: String, enums: String, defaults: true, oneofs: true};
		const definition = requireFromEtcd3('@grpc/proto-loader').loadSync(${JSON.stringify(join(repo, 'node_modules/etcd3/proto/rpc.proto'))}, options);
		const theirs = requireFromEtcd3('@grpc/grpc-js').loadPackageDefinition(definition).etcdserverpb;
		etcdService.prepare();
		const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
		const services = {};
		for (const name of Object.keys(theirs).filter(name => theirs[name].service)) {
			const ours = etcdService(name);
			services[name] = Object.keys(theirs[name].service).map(method => {
				const [a, b] = [ours.service[method], theirs[name].service[method]];
				return [method, a.path === b.path && a.requestStream === b.requestStream && a.responseStream === b.responseStream && a.originalName === b.originalName && typeof ours.prototype[a.originalName] === 'function'];
			});
		}
		// Every method's request and answer, with every field set (repeated ones twice, enums past their
		// default, nested messages three deep), encodes to proto-loader's bytes and decodes alike, ours first.
		const {Root, Type, Enum} = createRequire(requireFromEtcd3.resolve('@grpc/proto-loader'))('protobufjs');
		const reflection = new Root().loadSync(${JSON.stringify(join(repo, 'node_modules/etcd3/proto/rpc.proto'))}, {keepCase: true});
		reflection.resolveAll();
		const sample = (type, depth) => {
			const message = {};
			for (const field of type.fieldsArray) {
				let value;
				if (field.resolvedType instanceof Type) value = depth < 3 ? sample(field.resolvedType, depth + 1) : undefined;
				else if (field.resolvedType instanceof Enum) value = Object.keys(field.resolvedType.values).at(-1);
				else if (field.type === 'string') value = 'v-' + field.name;
				else if (field.type === 'bytes') value = Buffer.from('b-' + field.name);
				else if (field.type === 'bool') value = true;
				else value = String(field.id * 1000003 + 7);
				if (value !== undefined) message[field.name] = field.repeated ? [value, value] : value;
			}
			return message;
		};
		const messages = [];
		for (const name of Object.keys(theirs).filter(name => theirs[name].service)) {
			const service = reflection.lookupService('etcdserverpb.' + name);
			for (const method of service.methodsArray) {
				const [a, b] = [etcdService(name).service[method.name], theirs[name].service[method.name]];
				for (const [kind, type] of [['request', method.resolvedRequestType], ['response', method.resolvedResponseType]]) {
					const value = sample(type, 0);
					const serialize = kind === 'request' ? 'requestSerialize' : 'responseSerialize';
					const deserialize = kind === 'request' ? 'requestDeserialize' : 'responseDeserialize';
					const bytes = a[serialize](value);
					const isSame = Buffer.compare(bytes, b[serialize](value)) === 0 && same(a[deserialize](bytes), b[deserialize](bytes)) && same(a[deserialize](Buffer.alloc(0)), b[deserialize](Buffer.alloc(0)));
					messages.push([name + '.' + method.name + ' ' + kind, isSame, bytes.length]);
				}
			}
		}
		const range = {header: {cluster_id: '18446744073709551615', member_id: '1', revision: '42', raft_term: '3'}, kvs: [{key: Buffer.from('k'), value: Buffer.from([0, 255]), create_revision: '2', mod_revision: '3', version: '1', lease: '0'}], more: true, count: '1'};
		const request = {key: Buffer.from('a'), range_end: Buffer.from('b'), limit: '10', sort_order: 'DESCEND', sort_target: 'MOD', serializable: true};
		const kv = [etcdService('KV').service.Range, theirs.KV.service.Range];
		const status = [etcdService('Maintenance').service.Status, theirs.Maintenance.service.Status];
		const statusAnswer = {header: range.header, version: '3.5.30', dbSize: '4096', leader: '9', raftIndex: '77', raftTerm: '3', raftAppliedIndex: '77', errors: ['x'], dbSizeInUse: '2048', isLearner: false};
		const checks = {
			rangeResponse: same(kv[0].responseDeserialize(kv[1].responseSerialize(range)), kv[1].responseDeserialize(kv[1].responseSerialize(range))) && Buffer.compare(kv[0].responseSerialize(range), kv[1].responseSerialize(range)) === 0,
			rangeRequest: Buffer.compare(kv[0].requestSerialize(request), kv[1].requestSerialize(request)) === 0,
			statusResponse: same(status[0].responseDeserialize(status[1].responseSerialize(statusAnswer)), status[1].responseDeserialize(status[1].responseSerialize(statusAnswer))),
			decoded: kv[0].responseDeserialize(kv[1].responseSerialize(range)),
		};
		console.log(JSON.stringify({services, messages, checks}));`,
	);
	const {services, messages, checks} = JSON.parse(out) as {services: Record<string, Array<[string, boolean]>>; messages: Array<[string, boolean, number]>; checks: Record<string, unknown> & {decoded: {header: {cluster_id: string}; kvs: Array<{value: unknown}>; more: boolean}}};
	assert.ok(messages.length > 80, `${messages.length} messages`);
	for (const [message, isSame] of messages) assert.ok(isSame, `${message} differs from proto-loader's`);
	assert.ok(messages.filter(([, , length]) => length > 0).length > 70, 'the messages with fields had them set');
	assert.ok(messages.some(([message]) => message === 'Watch.Watch request'), 'the repeated enum (WatchCreateRequest.filters, packed in proto3) is among them');
	assert.deepEqual(Object.keys(services).sort(), ['Auth', 'Cluster', 'KV', 'Lease', 'Maintenance', 'Watch']);
	for (const [name, methods] of Object.entries(services)) {
		assert.ok(methods.length > 0, name);
		for (const [method, isSame] of methods) assert.ok(isSame, `${name}.${method} differs from proto-loader's`);
	}
	assert.equal(checks['rangeResponse'], true);
	assert.equal(checks['rangeRequest'], true);
	assert.equal(checks['statusResponse'], true);
	assert.equal(checks.decoded.header.cluster_id, '18446744073709551615');
	assert.equal(checks.decoded.more, true);
});

test('grpc-js as bundled asks isIPv6 only about strings with a colon, and answers as Node does for every address', async () => {
	const {grpcIsIpv6Patch} = (await import(new URL('scripts/bundle-plugins.js', `file://${repo}`).href)) as {grpcIsIpv6Patch: {filter: RegExp; transform: (path: string, text: string) => string}};
	const path = join(repo, 'node_modules/@grpc/grpc-js/build/src/subchannel-address.js');
	assert.ok(grpcIsIpv6Patch.filter.test(path));
	const {createRequire} = await import('node:module');
	const net = createRequire(import.meta.url)('node:net') as typeof import('node:net');
	let asked = 0;
	const counting = {isIPv6: (host: string) => (asked++, net.isIPv6(host))};
	const patched = grpcIsIpv6Patch.transform(path, 'return (0, net_1.isIPv6)(host);');
	const isIpv6 = new Function('net_1', 'host', patched) as (netModule: unknown, host: unknown) => boolean;
	const hosts = ['127.0.0.1', '10.0.0.1', 'etcd-1.example', 'localhost', '', '::1', '::', 'fe80::1%eth0', '2001:db8::8a2e:370:7334', '::ffff:127.0.0.1', '1:2:3:4:5:6:7:8', 'not:an:address', '[::1]', ':', undefined];
	for (const host of hosts) assert.equal(isIpv6(counting, host), typeof host === 'string' && net.isIPv6(host), String(host));
	assert.equal(asked, hosts.filter(host => host?.includes(':')).length, 'only the strings with a colon reached isIPv6');
	assert.throws(() => grpcIsIpv6Patch.transform(path, 'no call here'), /update scripts\/bundle-plugins.js/);
});

test('protobufjs as bundled writes a message type\'s functions one by one, as they are first called, with the same bytes', async t => {
	const protobuf = join(repo, 'node_modules/protobufjs/light.js');
	const out = await runBundled(
		t,
		`import protobuf from ${JSON.stringify(protobuf)};
		const root = protobuf.Root.fromJSON({nested: {Inner: {fields: {n: {type: 'uint64', id: 1}}}, Outer: {fields: {name: {type: 'string', id: 1}, inner: {type: 'Inner', id: 2}, list: {rule: 'repeated', type: 'Inner', id: 3}}}}});
		const Outer = root.lookupType('Outer');
		const bytes = Outer.encode(Outer.fromObject({name: 'x', inner: {n: '18446744073709551615'}, list: [{n: '1'}, {n: '2'}]})).finish();
		const back = Outer.toObject(Outer.decode(bytes), {longs: String, defaults: true});
		console.log(JSON.stringify({hex: Buffer.from(bytes).toString('hex'), back, unused: ['verify'].filter(name => Outer[name].name === 'lazy_setup'), used: ['encode', 'decode', 'fromObject', 'toObject'].filter(name => Outer[name].name === 'lazy_setup'), verified: Outer.verify({name: 3})}));`,
	);
	const result = JSON.parse(out) as {hex: string; back: unknown; unused: string[]; used: string[]; verified: string | null};
	// The same message through protobufjs as installed, unpatched.
	const {createRequire} = await import('node:module');
	const light = createRequire(import.meta.url)(protobuf) as {Root: {fromJSON: (json: unknown) => {lookupType: (name: string) => {encode: (message: unknown) => {finish: () => Uint8Array}; fromObject: (object: unknown) => unknown}}}};
	const outer = light.Root.fromJSON({nested: {Inner: {fields: {n: {type: 'uint64', id: 1}}}, Outer: {fields: {name: {type: 'string', id: 1}, inner: {type: 'Inner', id: 2}, list: {rule: 'repeated', type: 'Inner', id: 3}}}}}).lookupType('Outer');
	const theirs = Buffer.from(outer.encode(outer.fromObject({name: 'x', inner: {n: '18446744073709551615'}, list: [{n: '1'}, {n: '2'}]})).finish()).toString('hex');
	assert.equal(result.hex, theirs);
	assert.equal(result.hex, '0a0178120b08ffffffffffffffffff011a0208011a020802');
	assert.deepEqual(result.back, {name: 'x', inner: {n: '18446744073709551615'}, list: [{n: '1'}, {n: '2'}]});
	assert.deepEqual(result.unused, ['verify'], 'verify was not written before its first call');
	assert.deepEqual(result.used, [], 'each called function replaced its stub');
	assert.equal(result.verified, 'name: string expected', 'verify, written on its first call, works');
});

test('grpc-js as bundled loads zlib when compression first reads it, and compresses as zlib does', async () => {
	const {grpcLazyZlibPatch} = (await import(new URL('scripts/bundle-plugins.js', `file://${repo}`).href)) as {grpcLazyZlibPatch: {filter: RegExp; transform: (path: string, text: string) => string}};
	const {createRequire} = await import('node:module');
	const {readFileSync} = await import('node:fs');
	for (const file of ['compression-filter.js', 'server-interceptors.js']) {
		const path = join(repo, 'node_modules/@grpc/grpc-js/build/src', file);
		assert.ok(grpcLazyZlibPatch.filter.test(path), file);
		assert.doesNotMatch(grpcLazyZlibPatch.transform(path, readFileSync(path, 'utf8')), /const zlib = require\("zlib"\);/, file);
	}
	const realRequire = createRequire(import.meta.url);
	const asked: string[] = [];
	const patched = grpcLazyZlibPatch.transform('compression-filter.js', 'const zlib = require("zlib");\nreturn zlib;');
	const zlib = new Function('require', patched)((id: string) => (asked.push(id), realRequire(id))) as typeof import('node:zlib');
	assert.deepEqual(asked, [], 'not loaded when the module runs');
	const real = realRequire('node:zlib') as typeof import('node:zlib');
	assert.equal(zlib.createGunzip, real.createGunzip);
	assert.deepEqual(zlib.gunzipSync(real.gzipSync(Buffer.from('etcd'))), Buffer.from('etcd'));
	assert.deepEqual(asked, ['zlib'], 'loaded once, at its first use');
	assert.throws(() => grpcLazyZlibPatch.transform('compression-filter.js', 'no zlib here'), /update scripts\/bundle-plugins.js/);
});

test('yoga-layout as bundled takes its WebAssembly from the data: URL with Buffer, without fetch (undici), and lays out alike', async t => {
	const yoga = join(repo, 'node_modules/yoga-layout/dist/src/index.js');
	const layout = `import Yoga from ${JSON.stringify(yoga)};
		const root = Yoga.Node.create();
		root.setWidth(120);
		root.setFlexDirection(Yoga.FLEX_DIRECTION_ROW);
		for (const grow of [1, 2, 3]) {
			const child = Yoga.Node.create();
			child.setFlexGrow(grow);
			child.setHeight(grow * 7);
			root.insertChild(child, root.getChildCount());
		}
		root.calculateLayout(undefined, undefined, Yoga.DIRECTION_LTR);
		const boxes = [0, 1, 2].map(index => root.getChild(index).getComputedLayout());
		console.log(JSON.stringify({boxes, undici: process.moduleLoadList.some(name => name.includes('undici'))}));`;
	const ours = JSON.parse(await runBundled(t, layout)) as {boxes: unknown; undici: boolean};
	const dir = mkdtempSync(join(tmpdir(), 'etcdtop-yoga-'));
	t.after(() => rmSync(dir, {recursive: true, force: true}));
	writeFileSync(join(dir, 'layout.mjs'), layout);
	const theirs = JSON.parse(execFileSync(process.execPath, [join(dir, 'layout.mjs')], {encoding: 'utf8'})) as {boxes: unknown; undici: boolean};
	assert.deepEqual(ours.boxes, theirs.boxes);
	assert.deepEqual((ours.boxes as Array<{width: number}>).map(box => box.width), [20, 40, 60]);
	assert.equal(theirs.undici, true, 'as installed, yoga fetches its data: URL (undici)');
	assert.equal(ours.undici, false, 'as bundled, it does not');
});
