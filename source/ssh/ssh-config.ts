import {readdirSync, readFileSync} from 'node:fs';
import {homedir, userInfo} from 'node:os';
import {dirname, isAbsolute, join} from 'node:path';
import {SshError} from './errors.js';
import {matchPattern, matchPatternList} from './pattern.js';
import {parsePort, type SshTarget} from './target.js';

/** One `Host` (or `Match`) section; options before the first section apply to every host. */
export interface SshConfigBlock {
	/** Undefined for a `Match` section, which etcdtop does not evaluate and so never applies. */
	readonly patterns: readonly string[] | undefined;
	readonly options: ReadonlyArray<readonly [keyword: string, args: readonly string[]]>;
}

/** Splits arguments on blanks, honouring double quotes as ssh_config(5) does. */
function splitArgs(text: string): string[] {
	const args: string[] = [];
	const pattern = /"([^"]*)"|(\S+)/g;
	for (const match of text.matchAll(pattern)) args.push(match[1] ?? match[2] ?? '');
	return args;
}

export interface ParseOptions {
	/** Reads an Include'd file; undefined for a file that does not exist. */
	readonly readFile?: (path: string) => string | undefined;
	readonly listDir?: (path: string) => readonly string[];
	readonly sshDir?: string;
}

function defaultReadFile(path: string): string | undefined {
	try {
		return readFileSync(path, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
		throw new SshError('config', `cannot read SSH config ${path}: ${(error as Error).message}`);
	}
}

function defaultListDir(path: string): readonly string[] {
	try {
		return readdirSync(path);
	} catch {
		return [];
	}
}

/**
 * ssh_config text -> sections in file order. `Include` is followed (relative paths from ~/.ssh, `*` and
 * `?` in the file name), its sections spliced in where it stands, as OpenSSH does.
 */
export function parseSshConfig(text: string, options: ParseOptions = {}, depth = 0): readonly SshConfigBlock[] {
	const readFile = options.readFile ?? defaultReadFile;
	const listDir = options.listDir ?? defaultListDir;
	const sshDir = options.sshDir ?? join(homedir(), '.ssh');
	const blocks: Array<{patterns: readonly string[] | undefined; options: Array<readonly [string, readonly string[]]>}> = [{patterns: ['*'], options: []}];
	for (const rawLine of text.split(/\r?\n/)) {
		const line = rawLine.trim();
		if (line === '' || line.startsWith('#')) continue;
		const match = /^([A-Za-z]+)\s*(?:=\s*|\s+)(.*)$/.exec(line);
		if (!match) continue;
		const keyword = match[1]!.toLowerCase();
		const args = splitArgs(match[2]!);
		const current = blocks.at(-1)!;
		if (keyword === 'host') {
			blocks.push({patterns: args, options: []});
		} else if (keyword === 'match') {
			blocks.push({patterns: args.length === 1 && args[0]!.toLowerCase() === 'all' ? ['*'] : undefined, options: []});
		} else if (keyword === 'include') {
			if (depth >= 16) throw new SshError('config', 'SSH config Include nests deeper than 16 levels');
			for (const arg of args) {
				const path = expandTilde(arg);
				const absolute = isAbsolute(path) ? path : join(sshDir, path);
				const name = absolute.slice(dirname(absolute).length + 1);
				const files = /[*?]/.test(name) ? listDir(dirname(absolute)).filter(file => matchPattern(name, file)).sort().map(file => join(dirname(absolute), file)) : [absolute];
				for (const file of files) {
					const included = readFile(file);
					if (included === undefined) continue;
					// Options before the included file's first Host line fall under the section holding the Include.
					const [head, ...rest] = parseSshConfig(included, options, depth + 1);
					blocks.push({patterns: current.patterns, options: [...(head?.options ?? [])]});
					for (const block of rest) blocks.push({patterns: block.patterns, options: [...block.options]});
					blocks.push({patterns: current.patterns, options: []});
				}
			}
		} else {
			current.options.push([keyword, args]);
		}
	}
	return blocks;
}

/** Raw options for one alias: the first value of each keyword wins, IdentityFile accumulates. */
export function lookupHost(blocks: readonly SshConfigBlock[], alias: string): ReadonlyMap<string, readonly string[]> {
	const found = new Map<string, string[]>();
	const name = alias.toLowerCase();
	for (const block of blocks) {
		if (block.patterns === undefined || !matchPatternList(block.patterns, name)) continue;
		for (const [keyword, args] of block.options) {
			if (keyword === 'identityfile') found.set(keyword, [...(found.get(keyword) ?? []), ...args.slice(0, 1)]);
			else if (!found.has(keyword)) found.set(keyword, [...args]);
		}
	}
	return found;
}

export function expandTilde(path: string, home = homedir()): string {
	return path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path;
}

/** The `%` tokens of ssh_config(5) that make sense before connecting. */
function expandTokens(text: string, tokens: Readonly<Record<string, string>>): string {
	return text.replace(/%(.)/g, (whole, token: string) => (token === '%' ? '%' : tokens[token] ?? whole));
}

/** A host, fully resolved: what to dial, as whom, and with which keys. */
export interface ResolvedSshHost {
	/** What the operator typed (or the member's host); names it in messages. */
	readonly alias: string;
	/** What to dial and what known_hosts is checked against (OpenSSH uses HostName, not the alias). */
	readonly host: string;
	readonly port: number;
	readonly user: string;
	/** IdentityFile paths, expanded; only those that exist are tried. */
	readonly identityFiles: readonly string[];
}

export interface ResolveOptions {
	readonly blocks?: readonly SshConfigBlock[];
	/** `--ssh-identity`: tried instead of the config's IdentityFile. */
	readonly identityFile?: string;
	readonly home?: string;
	readonly localUser?: string;
}

/** The keys OpenSSH tries when the config names none. */
const defaultIdentities = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/** An explicit user or port in `[user@]host[:port]` wins over the config, as on ssh's command line. */
export function resolveSshHost(target: SshTarget, options: ResolveOptions = {}): ResolvedSshHost {
	const home = options.home ?? homedir();
	const localUser = options.localUser ?? userInfo().username;
	const found = lookupHost(options.blocks ?? [], target.host);
	const first = (keyword: string): string | undefined => found.get(keyword)?.[0];
	const hostName = first('hostname');
	const host = hostName === undefined ? target.host : expandTokens(hostName, {h: target.host});
	const portText = first('port');
	const port = target.port ?? (portText === undefined ? 22 : parsePort(portText, `Port ${portText} for ${target.host} in SSH config`));
	const user = target.user ?? first('user') ?? localUser;
	const tokens = {d: home, h: host, r: user, u: localUser, p: String(port), n: target.host};
	const configured = found.get('identityfile') ?? [];
	const identityFiles =
		options.identityFile !== undefined
			? [expandTilde(options.identityFile, home)]
			: configured.length > 0
				? configured.filter(path => path.toLowerCase() !== 'none').map(path => expandTilde(expandTokens(path, tokens), home))
				: defaultIdentities.map(file => join(home, '.ssh', file));
	return {alias: target.host, host, port, user, identityFiles};
}

/** ~/.ssh/config (or another file) -> sections; a missing file is an empty config. */
export function loadSshConfig(path = join(homedir(), '.ssh', 'config')): readonly SshConfigBlock[] {
	const text = defaultReadFile(path);
	return text === undefined ? [] : parseSshConfig(text, {sshDir: dirname(path)});
}
