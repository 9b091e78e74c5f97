import {statSync} from 'node:fs';
import {ConfigError} from '../config/errors.js';
import {humanBytes} from '../model/format.js';
import {exitCodes} from '../output/exit-code.js';
import {parseWriteFormat} from '../config/write-format.js';
import {isAgeFile} from '../snapshot/file/age.js';
import {inspectSnapshotFile} from '../snapshot/inspect.js';
import type {CommandContext} from './context.js';
import {depthOf, usageTable} from './usage-table.js';

/**
 * `etcdtop snapshot inspect FILE [--depth N]`: what fills a snapshot, by key prefix: keys and bytes of the
 * latest values, and the old revisions (and their bytes) a compaction would free. Read from the bbolt file
 * with positioned reads; exit 1 when the file's structure is damaged.
 */
export async function snapshotInspectCli({args, flags, io}: CommandContext): Promise<number> {
	const [file, ...extra] = args;
	if (!file) throw new ConfigError('snapshot inspect', 'FILE is missing', 'use: etcdtop snapshot inspect FILE [--depth N]');
	if (extra.length > 0) throw new ConfigError('snapshot inspect', `unexpected argument "${extra[0]}"`, 'use: etcdtop snapshot inspect FILE [--depth N]');
	const format = parseWriteFormat(flags.writeOut, ['table', 'json'] as const, 'snapshot inspect');
	const depth = depthOf(flags);
	let isFile = false;
	try {
		isFile = statSync(file).isFile();
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		throw new ConfigError('FILE', `${file} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'error'})`}`, 'give the path of a snapshot file');
	}
	if (!isFile) throw new ConfigError('FILE', `${file} is not a regular file`, 'give the path of a snapshot file (FILE.age: decrypt it first with age -d)');
	// Ciphertext would read as a damaged database (exit 1): say what it is instead.
	if (isAgeFile(file)) throw new ConfigError('FILE', `${file} is age-encrypted`, `decrypt it first: age -d -i KEY -o plain.db ${file}, then inspect plain.db`);
	const usage = inspectSnapshotFile(file, depth);
	if (format === 'json') {
		io.out(JSON.stringify(usage));
	} else {
		io.out(
			`revision ${usage.revision}, compacted at ${usage.compactRevision || 'never'}, database ${humanBytes(usage.dbSize)}: ${usage.totals.keys} keys, ${humanBytes(usage.totals.valueBytes)} of latest values, ${usage.totals.oldRevisions ?? 0} old revisions holding ${humanBytes(usage.totals.oldBytes ?? 0)}`,
		);
		io.out(usageTable(usage.rows, true));
		if (usage.isTruncated) io.out('more prefixes than shown: the rest are summed in "(other prefixes)"; use a smaller --depth');
		if ((usage.totals.oldBytes ?? 0) > 0) io.out('old revisions are freed by a compaction (etcdtop compact), their pages returned to the disk by a defrag (etcdtop defrag)');
	}
	for (const problem of usage.problems.slice(0, 10)) io.err(`damaged: ${problem}`);
	return usage.problems.length > 0 ? exitCodes.warning : exitCodes.ok;
}
