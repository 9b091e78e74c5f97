// The esbuild plugins scripts/bundle.js builds with: each changes one installed dependency's file, as it
// is bundled, for a reason given beside it, and fails the build if that file no longer looks as expected.
// Ink's own changes are not made here but at install (patches/, patch-package), so tests run the same Ink.
import {readFile} from 'node:fs/promises';
import {createRequire} from 'node:module';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

/** Replaces each `[from, to]` in `text` and insists every `from` occurred exactly once. */
function replaceEach(path, text, pairs) {
	let result = text;
	for (const [from, to] of pairs) {
		if (result.split(from).length !== 2) throw new Error(`${path}: expected "${from}" once; update scripts/bundle-plugins.js for this version`);
		result = result.replace(from, () => to);
	}
	return result;
}

const etcd3ServicesModule = fileURLToPath(new URL('bundle-etcd3-services.cjs', import.meta.url));

/**
 * etcd3 parses its .proto files with @grpc/proto-loader when it is imported (~100 ms of CPU, most of it
 * building reflection data nothing reads) and finds them beside its own files, which the single-file
 * build does not have. Here they are parsed once, at build time, by the installed etcd3's protobufjs,
 * and etcd3 builds its service constructors from that (bundle-etcd3-services.cjs) when it first makes
 * a client: importing etcd3 costs nothing, and a command that never connects never pays for it.
 */
export const etcd3Services = {
	name: 'etcd3-services',
	setup(builder) {
		builder.onLoad({filter: /[\\/]etcd3[\\/]lib[\\/]connection-pool\.js$/}, async ({path}) => {
			const text = await readFile(path, 'utf8');
			const loading = text.slice(text.indexOf('const packageDefinition = (0, proto_loader_1.loadSync)('), text.indexOf('const etcdserverpb = services.etcdserverpb;\n') + 'const etcdserverpb = services.etcdserverpb;\n'.length);
			if (!loading.includes('rpc.proto')) throw new Error(`${path}: etcd3 no longer loads rpc.proto with loadSync; update scripts/bundle-plugins.js`);
			return {
				contents: replaceEach(path, text, [
					['const proto_loader_1 = require("@grpc/proto-loader");', `const __etcdServices = require(${JSON.stringify(etcd3ServicesModule)});`],
					[loading, ''],
					['new etcdserverpb.Auth(', 'new (__etcdServices().Auth)('],
					['new etcdserverpb[name](', 'new (__etcdServices()[name])('],
				]),
				loader: 'js',
			};
		});
		builder.onResolve({filter: /^etcd3-proto-json$/}, () => ({path: 'etcd3-proto-json', namespace: 'etcd3-proto'}));
		builder.onLoad({filter: /.*/, namespace: 'etcd3-proto'}, () => {
			// The protobufjs that @grpc/proto-loader would use, with the options etcd3 gives loadSync that shape the parse.
			const requireFromLoader = createRequire(createRequire(import.meta.url).resolve('@grpc/proto-loader'));
			const {Root} = requireFromLoader('protobufjs');
			const rpcProto = join(dirname(createRequire(import.meta.url).resolve('etcd3')), '..', 'proto', 'rpc.proto');
			const root = new Root().loadSync(rpcProto, {keepCase: true});
			root.resolveAll();
			return {contents: JSON.stringify(root.toJSON()), loader: 'json'};
		});
	},
};

const packageJson = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));

/** `define` for esbuild: source/package-info.ts's ETCDTOP_PACKAGE, from package.json. */
export const packageDefine = {
	ETCDTOP_PACKAGE: JSON.stringify({name: packageJson.name, version: packageJson.version, description: packageJson.description}),
};
