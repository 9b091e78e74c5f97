// Files for unit tests: temporary directories and damaged copies. No etcd, no network, nothing loaded.
import {createHash} from 'node:crypto';
import {mkdtempSync, readdirSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

export function tempDir(prefix = 'etcdtop-snapshot-test-'): {readonly path: string; remove(): void} {
	const path = mkdtempSync(join(tmpdir(), prefix));
	return {path, remove: () => rmSync(path, {recursive: true, force: true})};
}

export function filesIn(directory: string): string[] {
	return readdirSync(directory).sort();
}

export function withFreshTrailer(db: Buffer): Buffer {
	return Buffer.concat([db, createHash('sha256').update(db).digest()]);
}

export function flipped(file: Buffer, position: number, mask = 0xff): Buffer {
	const copy = Buffer.from(file);
	copy[position] = copy[position]! ^ mask;
	return copy;
}
