// Where a snapshot lives in S3, and what etcdtop names it there. Pure: no SDK, no I/O.

/** `s3://BUCKET/KEY`; a key that is empty or ends in "/" is a prefix under which etcdtop picks the name. */
export interface S3Location {
	readonly bucket: string;
	readonly key: string;
}

export function isS3Url(text: string | undefined): boolean {
	return text !== undefined && /^s3:\/\//i.test(text);
}

/** The location in an s3:// URL, or the reason it is not one. */
export function parseS3Url(text: string): S3Location | {readonly problem: string} {
	const match = /^s3:\/\/([^/]*)(?:\/(.*))?$/is.exec(text);
	if (!match) return {problem: 'is not an s3://BUCKET/KEY URL'};
	const bucket = match[1]!;
	const key = match[2] ?? '';
	// S3's rules for bucket names (the legacy upper-case ones are no longer creatable, so not accepted).
	if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..')) {
		return {problem: `"${bucket}" is not a bucket name (3-63 characters: a-z, 0-9, ".", "-")`};
	}
	if (/[\u0000-\u001f\u007f]/.test(key)) return {problem: 'the key contains control characters'};
	if (key.startsWith('/') || key.includes('//')) return {problem: 'the key has an empty path segment ("//")'};
	if (Buffer.byteLength(key) > 1024 - 40) return {problem: 'the key is too long for S3 (1024 bytes, with room for .meta.json)'};
	return {bucket, key};
}

export function isPrefixLocation(location: S3Location): boolean {
	return location.key === '' || location.key.endsWith('/');
}

export function s3UrlOf(location: S3Location): string {
	return `s3://${location.bucket}/${location.key}`;
}

/** The "directory" part of a key: what retention and listings look under. "a/b/c.db" -> "a/b/". */
export function prefixOfKey(key: string): string {
	const slash = key.lastIndexOf('/');
	return slash < 0 ? '' : key.slice(0, slash + 1);
}

export function baseNameOfKey(key: string): string {
	return key.slice(key.lastIndexOf('/') + 1);
}

/** 2026-12-06T07:45:03.123Z -> 20261206T074503Z: fixed width, so names sort as time does. */
export function compactUtc(at: Date): string {
	return at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/**
 * The key of a new snapshot under a prefix: PREFIX/<cluster-id>/<YYYYMMDDTHHMMSSZ>-rev<revision>.db[.age].
 * The time leads, fixed-width, so a string sort is a time sort even when the revision grows a digit
 * (coreos etcd-operator sorted by name with the revision first and pruned its newest backup at 99 -> 100).
 * One directory per cluster: retention under it never touches another cluster's backups.
 */
export function remoteSnapshotKey(prefix: string, clusterId: string, at: Date, revision: number, isEncrypted: boolean): string {
	const base = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
	return `${base}${clusterId}/${compactUtc(at)}-rev${revision}.db${isEncrypted ? '.age' : ''}`;
}

/** Objects that are snapshots, not their manifests or anything else a listing returns. */
export function isSnapshotKey(key: string): boolean {
	return !key.endsWith('/') && !key.endsWith('.meta.json') && !key.endsWith('.part') && !baseNameOfKey(key).startsWith('.');
}
