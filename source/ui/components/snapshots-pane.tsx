import {Box} from 'ink';
import {Text} from './text.js';
import {formatDuration, humanBytes, shortAge} from '../../model/format.js';
import {progressBar, saveProgress, verifyLabel, verifyStateOf, type SnapshotsPane as PaneState, type VerifyState} from '../../model/snapshots-pane.js';
import {createdAtOf} from '../../model/snapshot-entry.js';
import {color, type Tone} from '../theme.js';

export interface SnapshotsPaneProps {
	readonly state: PaneState;
	readonly selectedName: string | undefined;
	readonly now: number;
	readonly width: number;
	readonly height: number;
}

function verifyTone(verify: VerifyState): Tone {
	switch (verify.kind) {
		case 'verified':
		case 'saved':
			return 'good';
		case 'failed':
			return 'bad';
		case 'verifying':
		case 'locked':
			return 'warn';
		default:
			return 'muted';
	}
}

/** A countdown: whole seconds, rounded up, so it reads "1s" until the moment it is due. */
function seconds(ms: number | undefined): string {
	if (ms === undefined || !Number.isFinite(ms)) return '?';
	return formatDuration(ms, {finest: 'seconds', rounding: 'up'});
}

export function SaveLine({state, now, width}: {readonly state: PaneState; readonly now: number; readonly width: number}) {
	const progress = saveProgress(state.save, now);
	if (progress) {
		const percent = progress.fraction === undefined ? '' : ` ${Math.floor(progress.fraction * 100)}%`;
		return (
			<Text wrap="truncate">
				<Text color={color('accent')}>saving </Text>
				{progressBar(progress.fraction, Math.min(30, width - 60))}
				{percent} {humanBytes(progress.received)}
				{progress.total === undefined ? '' : ` of ${humanBytes(progress.total)}`} at {humanBytes(progress.rate)}/s, ETA {seconds(progress.etaMs)}
			</Text>
		);
	}
	const next = state.nextSaveAt === undefined ? '' : `next scheduled save in ${seconds(state.nextSaveAt - now)}`;
	return (
		<Text wrap="truncate" color={state.save.kind === 'failed' ? color('bad') : color('muted')}>
			{state.notice ?? (next || 's saves a snapshot now')}
			{state.notice && next ? `  (${next})` : ''}
		</Text>
	);
}

/** The snapshots in --snapshot-dir: one row per file, newest first. */
export function SnapshotsPane({state, selectedName, now, width, height}: SnapshotsPaneProps) {
	// With an s3:// --snapshot-dir the bucket's objects are listed beside the local files: WHERE tells them apart.
	const hasRemote = state.entries.some(entry => entry.remote !== undefined);
	const widths = {where: hasRemote ? 5 : 0, file: Math.max(20, Math.min(44, width - (hasRemote ? 76 : 70))), age: 6, revision: 10, size: 9, member: 14, verified: 11};
	const header = [...(hasRemote ? ['WHERE'] : []), 'FILE'.padEnd(widths.file), 'AGE'.padEnd(widths.age), 'REVISION'.padEnd(widths.revision), 'SIZE'.padEnd(widths.size), 'FROM'.padEnd(widths.member), 'VERIFIED'].join(' ');
	const rows = Math.max(1, height - 4);
	const selectedIndex = Math.max(0, state.entries.findIndex(entry => entry.name === selectedName));
	const first = Math.max(0, Math.min(selectedIndex - rows + 1, state.entries.length - rows));
	return (
		<Box flexDirection="column">
			<Text wrap="truncate" color={color('muted')}>
				SNAPSHOTS in {state.directory}
				{state.listError ? <Text color={color('bad')}> ({state.listError})</Text> : null}
			</Text>
			<Text bold wrap="truncate">
				{'  '}
				{header}
			</Text>
			{state.entries.length === 0 ? <Text color={color('muted')}>  no snapshots yet: press s to save one</Text> : null}
			{state.entries.slice(first, first + rows).map((entry, index) => {
				const isSelected = first + index === selectedIndex;
				const verify = verifyStateOf(state, entry);
				const cells = [
					...(hasRemote ? [(entry.remote ? 's3' : 'local').padEnd(widths.where)] : []),
					(entry.name.length > widths.file ? `${entry.name.slice(0, widths.file - 1)}…` : entry.name).padEnd(widths.file),
					shortAge(now - createdAtOf(entry)).padEnd(widths.age),
					String(entry.manifest?.revision ?? '-').padEnd(widths.revision),
					humanBytes(entry.fileSize).padEnd(widths.size),
					(entry.manifest?.member.name ?? '-').slice(0, widths.member).padEnd(widths.member),
				].join(' ');
				return (
					<Text key={entry.name} wrap="truncate" inverse={isSelected}>
						{isSelected ? '> ' : '  '}
						{cells} <Text color={color(verifyTone(verify))}>{verifyLabel(verify)}</Text>
						{entry.isEncrypted ? <Text color={color('muted')}> (age)</Text> : null}
					</Text>
				);
			})}
			<Box height={1} />
			<SaveLine state={state} now={now} width={width} />
		</Box>
	);
}
