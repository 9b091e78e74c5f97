import {Box} from 'ink';
import {Text} from './text.js';
import {humanBytes, wrapWords} from '../../model/format.js';
import {verifyLabel, verifyStateOf, type SnapshotPaneStore, type SnapshotsPane} from '../../model/snapshots-pane.js';
import {manifestHashes} from '../../model/snapshot-entry.js';
import type {SnapshotEntry} from '../../model/snapshot-entry.js';
import {actionById, formatKeys, type ActionId, type Keymap} from '../keymap.js';
import {color} from '../theme.js';
import type {TypedConfirmation} from '../../model/typed-confirmation.js';
import {TypedConfirmationView} from './typed-confirmation.js';

function keyOf(keymap: Keymap, id: ActionId): string {
	const action = actionById(keymap, id);
	return action ? formatKeys(action, 1) : '';
}

/**
 * The details as screen lines `width` wide: prose broken at spaces, the plan's commands (the store's) only
 * between their words, with " \" continuations, so that a copied command pastes whole.
 */
export function snapshotDetailLines(entry: SnapshotEntry, state: SnapshotsPane, width: number, store: Pick<SnapshotPaneStore, 'restorePlanLines'>): string[] {
	const room = Math.max(20, width);
	const wrap = (lines: readonly string[]) => lines.flatMap(line => wrapWords(line, room, ' '.repeat(13)));
	const manifest = entry.manifest;
	const verify = verifyStateOf(state, entry);
	const field = (label: string, value: string) => `${label.padEnd(13)}${value}`;
	const lines = [
		field(entry.remote ? 'object' : 'path', entry.path),
		field('size', `${humanBytes(entry.fileSize)}${entry.isEncrypted ? ' (age-encrypted)' : ''}`),
		field('verified', `${verifyLabel(verify)}${verify.kind === 'failed' ? `: ${verify.reason}` : ''}`),
	];
	if (!manifest) return wrap([...lines, `no manifest (${entry.name}.meta.json): etcdtop did not write this file; its origin is unknown`]);
	const hashes = manifestHashes(manifest);
	return [
		...wrap([
			...lines,
			field('taken', `${manifest.createdAt} from ${manifest.member.name} (${manifest.member.id}) at ${manifest.member.endpoint}`),
			field('revision', `${manifest.revision}, raft index ${manifest.raftIndex}, term ${manifest.raftTerm}, ${manifest.totalKey} keys`),
			// Each hash named for what it is: sha256sum checks the first, etcd the second (the file's trailer).
			field('file sha256', hashes.fileSha256 ?? 'not recorded (manifest from an older etcdtop)'),
			field('etcd sha256', `${hashes.etcdSha256} (of the database)`),
			field('etcd', `${manifest.etcdVersion}, cluster ${manifest.clusterId}, ${manifest.members.length} members`),
			'',
			`Restore plan (members from the manifest; \`etcdtop snapshot restore-plan ${entry.remote ? 's3://…' : 'FILE'} [--data-dir DIR]\` prints it with the live member list)`,
		]),
		...store.restorePlanLines(entry, room),
	];
}

export interface SnapshotDetailsProps {
	readonly entry: SnapshotEntry;
	readonly state: SnapshotsPane;
	readonly width: number;
	readonly height: number;
	readonly offset: number;
	readonly keymap: Keymap;
	readonly store: Pick<SnapshotPaneStore, 'restorePlanLines'>;
}

/** A file's manifest and how to restore it (the plan `etcdtop snapshot restore-plan` prints); j/k scroll. */
export function SnapshotDetails({entry, state, width, height, offset, keymap, store}: SnapshotDetailsProps) {
	const boxWidth = Math.min(width, 160);
	// No side borders: lines start at the screen's edge, so a command selected with the mouse copies clean.
	const lines = snapshotDetailLines(entry, state, boxWidth, store);
	const rows = Math.max(3, height - 4);
	const first = Math.max(0, Math.min(offset, lines.length - rows));
	const more = lines.length - first - rows;
	return (
		<Box flexDirection="column" borderStyle="round" borderLeft={false} borderRight={false} width={boxWidth}>
			<Text bold wrap="truncate">
				{entry.name}
			</Text>
			{lines.slice(first, first + rows).map((line, index) => (
				<Text key={first + index} wrap="truncate">
					{line}
				</Text>
			))}
			<Text color={color('muted')} wrap="truncate">
				{more > 0 ? `${keyOf(keymap, 'snapshot-down')}/${keyOf(keymap, 'snapshot-up')} scroll (${more} more lines)  ` : ''}
				{keyOf(keymap, 'close')} closes
			</Text>
		</Box>
	);
}

export function ConfirmDelete({confirmation, keymap}: {readonly confirmation: TypedConfirmation; readonly keymap: Keymap}) {
	const name = confirmation.expected;
	return (
		<Box flexDirection="column" borderStyle="round" borderColor={color('bad')} paddingX={1}>
			<TypedConfirmationView keymap={keymap} confirmation={confirmation} verb="delete it">
				<Text bold color={color('bad')}>
					Delete {name} and its manifest?
				</Text>
				<Text>This removes the file from disk (rm {name} {name}.meta.json). It cannot be undone.</Text>
			</TypedConfirmationView>
		</Box>
	);
}
