/**
 * etcd releases with known problems an operator should hear about: one table, each row with its source.
 * Shown as a line in the console header and under `status` — advice, never an error, never an exit code.
 * A range is inclusive; `to` undefined means every later patch of that minor release.
 */
export interface VersionNoteRule {
	readonly id: string;
	readonly from: string;
	readonly to?: string;
	/** What to say, short enough for a header line with the versions it concerns in front. */
	readonly text: string;
	readonly source: string;
}

export const versionNoteRules: readonly VersionNoteRule[] = [
	{
		id: 'eol-3.4',
		from: '3.4.0',
		to: '3.4.999',
		text: 'etcd 3.4 is past end of life; move to 3.5 or 3.6',
		source: 'https://etcd.io/docs/v3.6/op-guide/versioning/ (etcd maintains the two latest minor releases; 3.6.0 shipped on 2025-05-15)',
	},
	{
		id: 'learner-v2store',
		from: '3.5.1',
		to: '3.5.19',
		text: 'learner promotion was persisted only to the v2 store (etcd #19557): upgrade to >= 3.5.32 (the fix is in 3.5.20) before 3.6',
		source: 'https://etcd.io/blog/2025/upgrade_from_3.5_to_3.6_issue/',
	},
	{
		id: 'defrag-3.4',
		from: '3.4.0',
		to: '3.4.37',
		text: 'defragmentation data fixes landed in 3.4.38: upgrade before defragmenting',
		source: 'https://github.com/etcd-io/etcd/blob/main/CHANGELOG/CHANGELOG-3.4.md (v3.4.38)',
	},
	{
		id: 'defrag-3.5',
		from: '3.5.0',
		to: '3.5.22',
		text: 'defragmentation data fixes landed in 3.5.23: upgrade before defragmenting',
		source: 'https://github.com/etcd-io/etcd/blob/main/CHANGELOG/CHANGELOG-3.5.md (v3.5.23)',
	},
	{
		id: 'defrag-3.6',
		from: '3.6.0',
		to: '3.6.4',
		text: 'a defrag racing a snapshot apply could corrupt the backend, fixed in 3.6.5 (etcd #20271): upgrade before defragmenting',
		source: 'https://github.com/etcd-io/etcd/blob/main/CHANGELOG/CHANGELOG-3.6.md (v3.6.5)',
	},
	{
		id: 'quota-3.6',
		from: '3.6.0',
		to: '3.6.5',
		text: 'endpoint status reports a wrong storage quota before 3.6.6',
		source: 'https://github.com/etcd-io/etcd/blob/main/CHANGELOG/CHANGELOG-3.6.md (v3.6.6: "Fix endpoint status not returning the correct storage quota")',
	},
];

/** Said when the members do not all run one version (a rolling upgrade that stopped halfway). */
export const mixedVersionsSource = 'https://etcd.io/docs/v3.6/upgrades/upgrade_3_6/ (mixed versions are for the length of a rolling upgrade)';

/** The versions the members reported in their last answers. */
export function reportedVersions(members: ReadonlyArray<{readonly status?: {readonly version: string} | undefined}>): string[] {
	return members.flatMap(member => (member.status ? [member.status.version] : []));
}

export interface VersionNote {
	readonly id: string;
	/** One line: the versions it concerns, then what to do. */
	readonly text: string;
	readonly source: string;
}

/**
 * Whether an etcd version is `major.minor` or later; undefined when there is no version or it does not
 * start with numbers (a version string is remote text).
 */
export function isVersionAtLeast(version: string | undefined, major: number, minor: number): boolean | undefined {
	const match = /^v?(\d+)\.(\d+)/.exec(version?.trim() ?? '');
	if (!match) return undefined;
	const [actualMajor, actualMinor] = [Number(match[1]), Number(match[2])];
	return actualMajor > major || (actualMajor === major && actualMinor >= minor);
}

function parse(version: string): readonly [number, number, number] | undefined {
	const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
	return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

function compare(a: readonly number[], b: readonly number[]): number {
	for (let index = 0; index < 3; index++) if (a[index] !== b[index]) return a[index]! - b[index]!;
	return 0;
}

/** The notes for the versions the members reported (duplicates and unparsable versions are fine). */
export function versionNotes(versions: readonly string[]): readonly VersionNote[] {
	// Canonical a.b.c only: a version string is remote text, and nothing after the numbers is shown.
	const canonical = versions.flatMap(version => {
		const parsed = parse(version);
		return parsed ? [parsed.join('.')] : [];
	});
	const distinct = [...new Set(canonical)].sort((a, b) => compare(parse(a)!, parse(b)!));
	const notes: VersionNote[] = [];
	if (distinct.length > 1) {
		notes.push({id: 'mixed', text: `members run different etcd versions (${distinct.join(', ')}): finish the rolling upgrade`, source: mixedVersionsSource});
	}
	for (const rule of versionNoteRules) {
		const from = parse(rule.from)!;
		const to = rule.to === undefined ? undefined : parse(rule.to)!;
		const hit = distinct.filter(version => {
			const parsed = parse(version)!;
			return compare(parsed, from) >= 0 && (to === undefined || compare(parsed, to) <= 0);
		});
		if (hit.length > 0) notes.push({id: rule.id, text: `${hit.join(', ')}: ${rule.text}`, source: rule.source});
	}
	return notes;
}
