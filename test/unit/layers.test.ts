import assert from 'node:assert/strict';
import {readdirSync, readFileSync, statSync} from 'node:fs';
import {dirname, join, relative, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {test} from 'node:test';
import type * as Etcd from '../../source/etcd/types.js';
import type {Failure as EtcdFailure} from '../../source/etcd/errors.js';
import type * as Model from '../../source/model/types.js';

// The layers of ../../shared/DESIGN.md as one table: which folders each folder may import (type-only
// imports and dynamic import() included). Data flows down: etcd, ssh and model import nothing else of the
// project; route reaches members through etcd and ssh; poller, ops and snapshot use route, etcd, model;
// ui gets stores handed to it by console, the one composition root; commands hold commands; cli
// dispatches. A folder's own files may import each other; a subfolder belongs to its folder unless it is
// a layer of its own here (snapshot/file: the pure file formats). Files at source/'s root are layers by name.

export type Layer =
	| 'cli'
	| 'process-setup'
	| 'package-info'
	| 'commands'
	| 'console'
	| 'ui'
	| 'output'
	| 'config'
	| 'demo'
	| 'poller'
	| 'ops'
	| 'snapshot'
	| 'snapshot/file'
	| 'route'
	| 's3'
	| 'etcd'
	| 'ssh'
	| 'model';

const data: readonly Layer[] = ['route', 'etcd', 'ssh', 'model'];

export const allowedImports: Readonly<Record<Layer, readonly Layer[]>> = {
	cli: ['process-setup', 'package-info', 'commands', 'console', 'config', 'output', 'model'],
	'process-setup': [],
	'package-info': [],
	commands: ['package-info', 'console', 'config', 'output', 'poller', 'ops', 'snapshot', 'snapshot/file', 's3', 'demo', ...data],
	console: ['package-info', 'ui', 'config', 'output', 'poller', 'ops', 'snapshot', 'snapshot/file', 's3', ...data],
	ui: ['model', 'ops', 'poller', 'output'],
	output: ['model'],
	// ConnectOptions for the etcd clients, SSH targets, age recipients; nothing that runs a command.
	config: ['etcd', 'ssh', 'model', 'snapshot/file'],
	demo: ['route', 'etcd', 'model'],
	poller: ['route', 'etcd', 'model'],
	// ssh: a workflow's remote start command.
	ops: ['route', 'etcd', 'ssh', 'model'],
	// ssh: the one shell-quoting function, for the restore plan's commands; s3: where remote snapshots go.
	snapshot: ['snapshot/file', 'route', 'etcd', 'ssh', 's3', 'model'],
	'snapshot/file': ['model'],
	route: ['etcd', 'ssh'],
	// Data access to an S3 bucket (the AWS SDK), like etcd/ for members.
	s3: [],
	etcd: [],
	ssh: [],
	model: [],
};

/**
 * Imports against the arrows that other work is moving away (each "file -> imported file", relative to
 * source/). The list may only shrink: a test fails when one of these is gone, so it is deleted here.
 */
export const movingAway: readonly string[] = [];

const sourceRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../source');

function sourceFiles(dir: string): string[] {
	return readdirSync(dir).flatMap(name => {
		const path = join(dir, name);
		if (statSync(path).isDirectory()) return sourceFiles(path);
		return /\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
	});
}

export function layerOf(file: string): Layer {
	const path = relative(sourceRoot, file).split('\\').join('/');
	const parts = path.split('/');
	if (parts.length === 1) return parts[0]!.replace(/\.tsx?$/, '') as Layer;
	const nested = `${parts[0]}/${parts[1]}`;
	if (nested in allowedImports) return nested as Layer;
	return parts[0] as Layer;
}

// The module specifiers of import and export statements (a statement starts a line; its clause, which may
// span lines and hold comments, has no quote or semicolon before `from`), and of every import() and
// `typeof import()` outside comments. The TypeScript compiler's scanner reads the same (checked below
// on tricky forms, and once against ts.preProcessFile over the whole tree when this was written); loading
// it cost this test 1.5 s of CPU.
const statements = [
	/^[ \t]*import\s+(?!\()[^;'"]*?\bfrom\s*(['"])([^'"\n]+)\1/gm,
	/^[ \t]*import\s*(['"])([^'"\n]+)\1/gm,
	/^[ \t]*export\s+(?:type\s+)?(?:\*[^;'"]*?|\{[^;'"}]*\})\s*from\s*(['"])([^'"\n]+)\1/gm,
];
const dynamicImport = /\bimport\(\s*(['"])([^'"\n]+)\1\s*\)/g;
const commentLine = /^[ \t]*(?:\/\/|\*|\/\*)/;

/** Every module specifier in a TypeScript text: static, type-only, re-exports and import(), in order. */
export function specifiersOf(text: string): string[] {
	const found: Array<readonly [number, string]> = [];
	for (const pattern of statements) for (const match of text.matchAll(pattern)) found.push([match.index, match[2]!]);
	for (const match of text.matchAll(dynamicImport)) {
		const before = text.slice(text.lastIndexOf('\n', match.index) + 1, match.index);
		if (!commentLine.test(before) && !/(?:^|\s)\/\//.test(before)) found.push([match.index, match[2]!]);
	}
	return found.sort((a, b) => a[0] - b[0]).map(([, specifier]) => specifier);
}

/** Every relative module a file imports: static, type-only, re-exports and import(). */
function importsOf(file: string): string[] {
	return specifiersOf(readFileSync(file, 'utf8')).filter(name => name.startsWith('.'));
}

function resolveImport(from: string, specifier: string): string {
	const target = resolve(dirname(from), specifier).replace(/\.js$/, '');
	for (const candidate of [`${target}.ts`, `${target}.tsx`, join(target, 'index.ts')]) {
		try {
			if (statSync(candidate).isFile()) return candidate;
		} catch {}
	}
	throw new Error(`${relative(sourceRoot, from)} imports ${specifier}, which is no source file`);
}

interface Edge {
	readonly from: string;
	readonly to: string;
	readonly fromLayer: Layer;
	readonly toLayer: Layer;
}

function edges(): Edge[] {
	return sourceFiles(sourceRoot).flatMap(file =>
		importsOf(file).map(specifier => {
			const target = resolveImport(file, specifier);
			return {from: relative(sourceRoot, file), to: relative(sourceRoot, target), fromLayer: layerOf(file), toLayer: layerOf(target)};
		}),
	);
}

const label = (edge: Edge) => `${edge.from} -> ${edge.to}`;

function violations(): Edge[] {
	return edges().filter(edge => edge.fromLayer !== edge.toLayer && !allowedImports[edge.fromLayer]?.includes(edge.toLayer));
}

test('every file under source/ belongs to a layer of the table', () => {
	const unknown = sourceFiles(sourceRoot).filter(file => !(layerOf(file) in allowedImports));
	assert.deepEqual(unknown.map(file => relative(sourceRoot, file)), [], 'add the folder to allowedImports with what it may import');
});

test('every import follows the arrows (type-only and dynamic ones too)', t => {
	const found = violations();
	t.diagnostic(`imports against the arrows: ${found.length} (${movingAway.length} of them listed as moving away)`);
	const unexpected = found.map(label).filter(edge => !movingAway.includes(edge));
	assert.deepEqual(unexpected, [], `imports against the arrows:\n${unexpected.join('\n')}`);
});

test('the list of imports being moved away only shrinks', () => {
	const current = new Set(violations().map(label));
	const gone = movingAway.filter(edge => !current.has(edge));
	assert.deepEqual(gone, [], 'these follow the arrows now: delete them from movingAway');
});

test('no folder-level cycles: neither in the table nor in the imports (those moving away aside)', () => {
	const graph = new Map<Layer, Set<Layer>>();
	for (const [from, tos] of Object.entries(allowedImports) as Array<[Layer, readonly Layer[]]>) graph.set(from, new Set(tos));
	for (const edge of edges()) if (edge.fromLayer !== edge.toLayer && !movingAway.includes(label(edge))) graph.get(edge.fromLayer)?.add(edge.toLayer);
	const cycles: string[] = [];
	const visit = (layer: Layer, path: readonly Layer[]) => {
		if (path.includes(layer)) {
			cycles.push([...path.slice(path.indexOf(layer)), layer].join(' -> '));
			return;
		}
		for (const next of graph.get(layer) ?? []) visit(next, [...path, layer]);
	};
	for (const layer of graph.keys()) visit(layer, []);
	assert.deepEqual([...new Set(cycles)], []);
});

test('the check reads what it claims: an import against the arrows is caught', () => {
	assert.equal(layerOf(join(sourceRoot, 'snapshot/file/age.ts')), 'snapshot/file');
	assert.equal(layerOf(join(sourceRoot, 'ui/components/header.tsx')), 'ui');
	assert.equal(layerOf(join(sourceRoot, 'cli.ts')), 'cli');
	const sample = [
		"import type {A} from '../etcd/types.js';",
		"export {b} from './b.js';",
		"const c = await import('../ui/app.js');",
		'import {',
		'\td, // the one that matters',
		'\ttype E,',
		"} from '../model/d.js';",
		"import './side-effect.js';",
		"import x, * as y from '../ssh/x.js';",
		"export * from '../route/all.js';",
		"export type {F} from '../poller/f.js';",
		"type G = typeof import('../ops/g.js');",
		"const [h, i] = await Promise.all([import('../config/h.js'), import(\n'../output/i.js')]);",
		"// import {not} from '../ui/comment.js'; import('../ui/comment.js')",
		"run(); // or import('../ui/trailing-comment.js')",
		" * import('../ui/doc-comment.js')",
		"export const text = 'from here';",
	].join('\n');
	const expected = ['../etcd/types.js', './b.js', '../ui/app.js', '../model/d.js', './side-effect.js', '../ssh/x.js', '../route/all.js', '../poller/f.js', '../ops/g.js', '../config/h.js', '../output/i.js'];
	assert.deepEqual(specifiersOf(sample), expected);
	assert.equal(allowedImports.model.includes('etcd'), false);
});

// model/ and etcd/ each declare the shapes they share (neither imports the other); they must agree both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agree: [
	Same<Etcd.EndpointStatus, Model.EndpointStatus>,
	Same<Etcd.MemberInfo, Model.MemberInfo>,
	Same<Etcd.MemberList, Model.MemberList>,
	Same<Etcd.Alarm, Model.Alarm>,
	Same<EtcdFailure, Model.Failure>,
] = [true, true, true, true, true];

test('etcd/ and model/ describe members, statuses and failures alike (checked by the compiler)', () => {
	assert.deepEqual(agree, [true, true, true, true, true]);
});
