// What scripts/bundle.js and scripts/package.js build with. Each patch changes one installed
// dependency's file as it is bundled, for a reason given beside it, and fails the build if that file no
// longer looks as expected; `patches(list)` is the one esbuild plugin that applies them, in order, so
// that two patches of one file (package.js adds its own) both apply. Ink's own changes are not made here
// but at install (patches/, patch-package), so tests run the same Ink.
import {createHash} from 'node:crypto';
import {readFile, writeFile} from 'node:fs/promises';
import {createRequire, isBuiltin} from 'node:module';
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
 * build does not have. Here they are parsed once, at build time, by the installed etcd3's protobufjs;
 * etcd3 reads them when the first client is made, and builds a service's constructor (as proto-loader
 * and grpc-js would) when it first calls that service (bundle-etcd3-services.cjs): importing etcd3
 * costs nothing, and a command that never connects never pays for it.
 */
export const etcd3ServicesPatch = {
	filter: /[\\/]etcd3[\\/]lib[\\/]connection-pool\.js$/,
	transform(path, text) {
		const loading = text.slice(text.indexOf('const packageDefinition = (0, proto_loader_1.loadSync)('), text.indexOf('const etcdserverpb = services.etcdserverpb;\n') + 'const etcdserverpb = services.etcdserverpb;\n'.length);
		if (!loading.includes('rpc.proto')) throw new Error(`${path}: etcd3 no longer loads rpc.proto with loadSync; update scripts/bundle-plugins.js`);
		return replaceEach(path, text, [
			['const proto_loader_1 = require("@grpc/proto-loader");', `const __etcdServices = require(${JSON.stringify(etcd3ServicesModule)});`],
			[loading, ''],
			['new etcdserverpb.Auth(', "new (__etcdServices('Auth'))("],
			['new etcdserverpb[name](', 'new (__etcdServices(name))('],
			// The protos are read when a client is made, before any call's deadline starts counting.
			['class ConnectionPool {\n    constructor(options) {\n', 'class ConnectionPool {\n    constructor(options) {\n        __etcdServices.prepare();\n'],
		]);
	},
};

/** The modules etcd3ServicesPatch needs: etcd's protos as parsed at build time, and no proto-loader. */
export const etcd3Modules = {
	name: 'etcd3-modules',
	setup(builder) {
		builder.onResolve({filter: /^etcd3-proto-json$/}, () => ({path: 'etcd3-proto-json', namespace: 'etcd3-proto'}));
		// Left to ask for proto-loader (and the whole of protobufjs with its .proto parser): gRPC's server-side
		// channelz and ORCA services, which a client never starts. They get a stub that says so if they ever do.
		builder.onResolve({filter: /^@grpc\/proto-loader$/}, ({importer}) => (/[\\/]@grpc[\\/]grpc-js[\\/]/.test(importer) ? {path: 'proto-loader', namespace: 'etcd3-proto'} : undefined));
		builder.onLoad({filter: /^proto-loader$/, namespace: 'etcd3-proto'}, () => ({contents: "module.exports = {loadSync() { throw new Error('@grpc/proto-loader is not part of this build (gRPC server services)'); }};", loader: 'js'}));
		builder.onLoad({filter: /^etcd3-proto-json$/, namespace: 'etcd3-proto'}, () => {
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

/**
 * meow's bundled dependencies build normalize-package-data (with semver, hosted-git-info and the SPDX
 * licence tables) when imported, for the `pkg` it normalizes only when `cli.pkg` is read, which etcdtop
 * never does: built on first use instead. And they promisify execFile for nothing, loading child_process.
 */
export const meowLazyNormalizePatch = {
	filter: /[\\/]meow[\\/]build[\\/]dependencies\.js$/,
	transform: (path, text) =>
		replaceEach(path, text, [
			['var normalizeExports = requireNormalize();\nconst normalizePackageData = getDefaultExportFromCjs(normalizeExports);', 'const normalizePackageData = (...args) => getDefaultExportFromCjs(requireNormalize())(...args);'],
			// A statement whose result nobody keeps; it loads child_process.
			['\npromisify(execFile);\n', '\n'],
		]),
};

/**
 * grpc-js asks `net.isIPv6` about every address it connects to and logs (subchannelAddressToString, the
 * DNS resolver, pick-first). Node's isIPv6 is a long regular expression that V8 compiles on its first
 * use, ~15 ms of a one-shot `status` for addresses that are IPv4. An IPv6 address always holds a ':',
 * so that is asked first; the answer is the same for every string.
 */
export const grpcIsIpv6Patch = {
	filter: /[\\/]@grpc[\\/]grpc-js[\\/]build[\\/]src[\\/](subchannel-address|resolver-dns|resolver-ip|load-balancer-pick-first|channelz)\.js$/,
	transform(path, text) {
		const call = '(0, net_1.isIPv6)(';
		if (!text.includes(call)) throw new Error(`${path}: expected "${call}"; update scripts/bundle-plugins.js for this version`);
		return text.replaceAll(call, '((host) => typeof host === "string" && host.includes(":") && (0, net_1.isIPv6)(host))(');
	},
};

/**
 * protobufjs writes and compiles five functions for a message type the first time any one of them is
 * called (encode, decode, verify, fromObject, toObject: `new Function` each). A gRPC call needs encode
 * and fromObject of its request and decode and toObject of its answer, never verify: each function is
 * written when it is first called instead, as protobufjs's own setup stubs do for the whole set. Types
 * with a custom wrapper (google.protobuf.Any and friends; etcd's protos use none) keep the original path.
 */
export const protobufLazySetupPatch = {
	filter: /[\\/]protobufjs[\\/]src[\\/]type\.js$/,
	transform: (path, text) =>
		replaceEach(path, text, [
			[
				'    // Replace setup methods with type-specific generated functions\n    this.encode = encoder(this)({',
				`    // Each generated function is written on its first call (scripts/bundle-plugins.js, protobufLazySetupPatch).
    if (!wrappers[fullName]) {
        var type = this;
        var generators = {
            encode: function() { return encoder(type)({ Writer: Writer, types: types, util: util }); },
            decode: function() { return decoder(type)({ Reader: Reader, types: types, util: util }); },
            verify: function() { return verifier(type)({ types: types, util: util }); },
            fromObject: function() { return converter.fromObject(type)({ types: types, util: util }); },
            toObject: function() { return converter.toObject(type)({ types: types, util: util }); }
        };
        Object.keys(generators).forEach(function(name) {
            // A setup entered again (a stub looked up before the first setup ran) keeps what was written.
            if (Object.prototype.hasOwnProperty.call(type, name) && type[name].name !== "lazy_setup") return;
            type[name] = function lazy_setup() {
                var generated = generators[name]();
                type[name] = generated;
                return generated.apply(this, arguments);
            };
        });
        return this;
    }

    // Replace setup methods with type-specific generated functions
    this.encode = encoder(this)({`,
			],
		]),
};

const cachedScriptLoader = fileURLToPath(new URL('cached-script-loader.js', import.meta.url));

/**
 * CommonJS dependencies that run as scripts of their own beside the chunks, each with a V8 code cache
 * written after it ran (cached-script-loader.js): the etcd client, and React with its reconciler for the
 * console. `packages` are the specifiers the chunks import of each; `isOnlyForSources`: only the
 * sources' imports are redirected (dependencies of the script's own packages resolve inside it).
 */
export const cachedScripts = [
	{name: 'etcd-client', packages: ['etcd3', '@grpc/grpc-js', 'cockatiel'], isOnlyForSources: true, bundledPaths: /node_modules[\\/](etcd3|@grpc[\\/]grpc-js|protobufjs)[\\/]/},
	{name: 'react', packages: ['react', 'react/jsx-runtime', 'react-reconciler', 'react-reconciler/constants.js', 'scheduler'], isOnlyForSources: false, bundledPaths: /node_modules[\\/](react|react-reconciler|scheduler)[\\/]/},
];

/**
 * Builds each of cachedScripts into `outdir` with esbuild's `build` and `options` (platform, target,
 * plugins: those of the CLI's own build), and returns their file names by name, `<name>-<hash>.cjs`.
 * Each is a function expression `(exports, require, module, __filename, __dirname) => …` whose exports
 * are its packages by specifier, each run when first read; ASCII but for comment lines, as the loader
 * reads it as latin1.
 */
export async function buildCachedScripts(build, outdir, options) {
	const files = {};
	for (const {name, packages} of cachedScripts) {
		const getters = packages.map(specifier => `\tget ${JSON.stringify(specifier)}() {\n\t\treturn require(${JSON.stringify(specifier)});\n\t},`).join('\n');
		const result = await build({
			...options,
			stdin: {contents: `module.exports = {\n${getters}\n};\n`, resolveDir: dirname(cachedScriptLoader), sourcefile: `${name}-entry.cjs`, loader: 'js'},
			bundle: true,
			format: 'cjs',
			charset: 'ascii',
			banner: {js: '(function (exports, require, module, __filename, __dirname) {'},
			footer: {js: '})'},
			write: false,
		});
		const [output] = result.outputFiles;
		const {text} = output;
		const lines = text.split('\n');
		const line = lines.findIndex(code => /[^\x00-\x7f]/.test(code) && !/^\s*\/\/.*$/.test(code));
		if (line !== -1) throw new Error(`${name}:${line + 1}: a character outside ASCII in code; the loader reads it as latin1 (scripts/cached-script-loader.js)`);
		const file = `${name}-${createHash('sha256').update(text).digest('hex').slice(0, 10)}.cjs`;
		await writeFile(join(outdir, file), text);
		files[name] = file;
	}
	return files;
}

/**
 * The chunks' imports of cachedScripts' packages, answered from those scripts rather than bundled
 * again: a second copy of React or gRPC in the chunks would have classes and state of its own.
 * `assertNoCachedScriptPackagesIn(metafile)` fails a build that has one.
 */
export function cachedScriptImports(files) {
	return {
		name: 'cached-script-imports',
		setup(builder) {
			const options = builder.initialOptions;
			options.define = {...options.define, ETCDTOP_CACHED_SCRIPTS: JSON.stringify(JSON.stringify(files))};
			for (const {name, packages, isOnlyForSources} of cachedScripts) {
				const filter = new RegExp(`^(${packages.map(specifier => specifier.replace(/[/.]/g, '\\$&')).join('|')})$`);
				builder.onResolve({filter}, ({path, importer}) => (isOnlyForSources && /[\\/]node_modules[\\/]/.test(importer) ? undefined : {path, namespace: `cached-script:${name}`}));
				builder.onLoad({filter: /.*/, namespace: `cached-script:${name}`}, ({path}) => ({
					contents: `module.exports = require(${JSON.stringify(cachedScriptLoader)}).cachedScript(${JSON.stringify(name)})[${JSON.stringify(path)}];`,
					loader: 'js',
					resolveDir: dirname(cachedScriptLoader),
				}));
			}
		},
	};
}

/** Fails when a build's metafile shows a package of cachedScripts bundled into the CLI's chunks. */
export function assertNoCachedScriptPackagesIn(metafile) {
	for (const {name, bundledPaths} of cachedScripts) {
		const bundled = Object.keys(metafile.inputs).filter(input => bundledPaths.test(input));
		if (bundled.length > 0) throw new Error(`${bundled.slice(0, 3).join(', ')}: bundled into the CLI's chunks as well as the ${name} script (scripts/cached-script-loader.js)`);
	}
}

/**
 * grpc-js loads Node's zlib when imported (the client's and the server's compression), which it uses
 * only when a channel or server asks for compression (etcd3 never does): ~3 ms of every start. zlib is now required when compression
 * first reads it.
 */
export const grpcLazyZlibPatch = {
	filter: /[\\/]@grpc[\\/]grpc-js[\\/]build[\\/]src[\\/](compression-filter|server-interceptors)\.js$/,
	transform: (path, text) =>
		replaceEach(path, text, [['const zlib = require("zlib");', 'let zlibLoaded;\nconst zlib = new Proxy({}, {get: (_, name) => (zlibLoaded ??= require("zlib"))[name]});']]),
};

/**
 * Ink's layout engine (yoga-layout) carries its WebAssembly as a base64 data: URL and, where a global
 * fetch exists (Node 18+), fetches it: that loads undici, Node's fetch, and its data: URL parser
 * (~20 ms of the console's start, more than the layout engine itself). Its own fallback, used where
 * there is no fetch, decodes the URL with atob one character at a time; both now take the bytes with
 * Buffer's base64 decoder, which gives the same bytes for this (valid) base64.
 */
export const yogaWasmBytesPatch = {
	filter: /[\\/]yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/,
	transform: (path, text) =>
		replaceEach(path, text, [
			['function ya(){return w||"function"!=typeof fetch?', 'function ya(){return w||ua(H)||"function"!=typeof fetch?'],
			['var b=xa(a.slice(37)),c=new Uint8Array(b.length);for(a=0;a<b.length;++a)c[a]=b.charCodeAt(a);var d=c', 'var d=new Uint8Array(Buffer.from(a.slice(37),"base64"))'],
		]),
};

/** The dependency patches both builds apply. */
export const dependencyPatches = [etcd3ServicesPatch, meowLazyNormalizePatch, grpcIsIpv6Patch, grpcLazyZlibPatch, protobufLazySetupPatch, yogaWasmBytesPatch];

/** One esbuild plugin applying every patch whose filter matches a file, in order. */
export function patches(list) {
	return {
		name: 'patches',
		setup(builder) {
			builder.onLoad({filter: /\.[cm]?js$/}, async ({path}) => {
				const matching = list.filter(patch => patch.filter.test(path));
				if (matching.length === 0) return undefined;
				let text = await readFile(path, 'utf8');
				for (const patch of matching) text = patch.transform(path, text);
				return {contents: text, loader: 'js'};
			});
		},
	};
}

/**
 * Node's own modules, imported by ES modules, are required instead. An ES import of a built-in makes
 * Node build its ES module facade, which reads every export once: for `node:process` that opens
 * process.stdin and builds allowedNodeEnvironmentFlags, for `node:fs` it loads the streams and
 * fs/promises: ~40% of `etcdtop status`'s CPU before anything of etcdtop ran. Required, each export is
 * read when used (esbuild's interop reads a property only on access).
 */
export const builtinsRequired = {
	name: 'builtins-required',
	setup(builder) {
		builder.onResolve({filter: /^[a-z_:/]+$/}, ({path, kind}) => (isBuiltin(path) && kind === 'import-statement' ? {path, namespace: 'builtin', sideEffects: false} : undefined));
		builder.onLoad({filter: /.*/, namespace: 'builtin'}, ({path}) => ({contents: `module.exports = require(${JSON.stringify(path)});`, loader: 'js'}));
	},
};

const packageJson = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));

/** `define` for esbuild: source/package-info.ts's ETCDTOP_PACKAGE, from package.json. */
export const packageDefine = {
	ETCDTOP_PACKAGE: JSON.stringify({name: packageJson.name, version: packageJson.version, description: packageJson.description}),
};
