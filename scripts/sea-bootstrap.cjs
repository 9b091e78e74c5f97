'use strict';
// The main script of the single-file build (scripts/package.js). Node 24 runs only a CommonJS script as
// a single executable's main, and etcdtop is ES modules (Ink's layout engine awaits at the top level).
// So the bundle's modules are assets of the executable, served by these hooks under sea:/ URLs: each
// command still loads only its own chunks, and nothing outside the executable (no node_modules, no
// file beside it) is ever resolved. Modules may import Node's own (node:…) and each other, nothing else.
const {registerHooks} = require('node:module');
const {getAsset} = require('node:sea');

const scheme = 'sea:';

registerHooks({
	resolve(specifier, context, nextResolve) {
		if (specifier.startsWith(scheme)) return {url: specifier, shortCircuit: true};
		if (context.parentURL?.startsWith(scheme) && /^\.\.?\//.test(specifier)) return {url: new URL(specifier, context.parentURL).href, shortCircuit: true};
		return nextResolve(specifier, context);
	},
	load(url, context, nextLoad) {
		if (!url.startsWith(scheme)) return nextLoad(url, context);
		return {format: 'module', source: getAsset(new URL(url).pathname.slice(1), 'utf8'), shortCircuit: true};
	},
});

// V8's code cache (bin/compile-cache.cjs, put before this file by scripts/package.js) covers the assets too.
enableEtcdtopCompileCache(); // eslint-disable-line no-undef -- defined above this file in main.cjs
import('sea:/cli.js');
