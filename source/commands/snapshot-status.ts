import {statSync} from 'node:fs';
import {ConfigError} from '../config/errors.js';
import {humanBytes} from '../model/format.js';
import {renderTable} from '../output/table.js';
import {parseWriteFormat, writeFormats, type WriteFormat} from '../config/write-format.js';
import type {SnapshotStatus} from '../snapshot/file/snapshot-status.js';
import {DecryptKeyError, NoDecryptKeyError, verifySnapshotFile, type DecryptKeys} from '../snapshot/file/verify.js';
import {loadSnapshotOptions, type CommandContext, type CommandIo} from './context.js';


export type StatusFormat = WriteFormat;

function render(status: SnapshotStatus, format: StatusFormat): string {
	const hashHex = status.hash.toString(16);
	switch (format) {
		case 'json':
			return JSON.stringify({hash: status.hash, revision: status.revision, totalKey: status.totalKey, totalSize: status.totalSize, sha256: status.sha256});
		case 'simple':
			return `${hashHex}, ${status.revision}, ${status.totalKey}, ${humanBytes(status.totalSize)}, ${status.sha256}`;
		case 'table':
			return renderTable(
				['HASH', 'REVISION', 'TOTAL KEYS', 'TOTAL SIZE', 'SHA256'],
				[[hashHex, String(status.revision), String(status.totalKey), humanBytes(status.totalSize), status.sha256]],
			).trimEnd();
	}
}

export function parseStatusFormat(format: string | undefined): StatusFormat {
	return parseWriteFormat(format, writeFormats, 'snapshot status');
}

/**
 * `etcdtop snapshot status FILE [-w table|json|simple]`. Prints the numbers `etcdctl snapshot status` prints,
 * plus whether etcd's sha256 trailer matches. Returns 0 when the file is sound, 1 when its structure is
 * damaged or the trailer does not match. A file without a trailer (a db copied from a data dir) is sound.
 */
export async function snapshotStatusCommand(file: string, format: string | undefined, io: CommandIo, keys?: DecryptKeys): Promise<number> {
	const writeFormat = parseStatusFormat(format);
	let stats;
	try {
		stats = statSync(file);
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		throw new ConfigError('FILE', `${file} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'error'})`}`, 'give the path of a snapshot file');
	}
	if (!stats.isFile()) throw new ConfigError('FILE', `${file} is not a regular file`, 'give the path of a snapshot file');

	let status: SnapshotStatus;
	try {
		status = await verifySnapshotFile(file, keys);
	} catch (error) {
		if (error instanceof NoDecryptKeyError) throw new ConfigError('--identity', error.message, 'e.g. --identity key.txt');
		// A key that does not open it is the operator's to fix, as a wrong password is (exit 3).
		if (error instanceof DecryptKeyError) throw new ConfigError('--identity', error.message, 'give the identity file it was encrypted to, or its passphrase in ETCDTOP_SNAPSHOT_PASSPHRASE');
		io.err(`snapshot status: cannot read ${file}: ${(error as Error).message}`);
		return 1;
	}
	if (status.problemCount > 0) {
		// As etcdctl: a file that fails the integrity check gets no numbers, only the reasons.
		const headline = `snapshot file integrity check failed. ${status.problemCount} errors found.`;
		if (writeFormat === 'json') {
			io.out(JSON.stringify({error: headline, problems: status.problems, sha256: status.sha256}));
		}
		io.err([`${file}: ${headline}`, ...status.problems.map(problem => `  ${problem}`), ...(status.problemCount > status.problems.length ? [`  … and ${status.problemCount - status.problems.length} more`] : [])].join('\n'));
		if (status.sha256 === 'mismatch') io.err(`${file}: the sha256 trailer does not match the database bytes either`);
		return 1;
	}
	io.out(render(status, writeFormat));
	if (status.sha256 === 'mismatch') {
		io.err(`${file}: the sha256 trailer does not match the database bytes: the file changed after etcd sent it; etcdctl snapshot restore will refuse it`);
		return 1;
	}
	if (status.sha256 === 'missing') {
		io.err(`${file}: no sha256 trailer (a database copied from a data dir?); restore it with etcdctl snapshot restore --skip-hash-check`);
	}
	return 0;
}

/** `etcdtop snapshot status FILE`: an age file is opened with --identity or the passphrase. */
export async function snapshotStatusCli({args: [file], flags, io}: CommandContext): Promise<number> {
	const {options} = await loadSnapshotOptions(flags);
	const {decryptKeys} = await import('./snapshot-secrets.js');
	if (/^s3:\/\//i.test(file!)) {
		const {snapshotStatusS3Cli} = await import('./snapshot-s3.js');
		return snapshotStatusS3Cli(file!, flags, io, await decryptKeys(file!, options));
	}
	return snapshotStatusCommand(file!, flags.writeOut, io, await decryptKeys(file!, options));
}
