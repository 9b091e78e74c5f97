import {Box} from 'ink';
import {Text} from './text.js';
import type {ClusterView} from '../../model/cluster-view.js';
import {humanBytes} from '../../model/format.js';
import {maintenanceRows, quotaCritical, quotaWarn, type Level} from '../../model/maintenance.js';
import type {MaintenanceSnapshot} from '../maintenance-store.js';
import type {Progress} from '../../ops/defrag-workflow.js';
import {color, type Tone} from '../theme.js';

export interface MaintenancePaneProps {
	readonly view: ClusterView;
	readonly state: MaintenanceSnapshot;
	readonly isReadOnly: boolean;
	readonly now: number;
	readonly width: number;
	readonly height: number;
}

const levelTone: Readonly<Record<Level, Tone>> = {ok: 'good', warn: 'warn', critical: 'bad', unknown: 'muted'};

function percent(value: number | undefined): string {
	return value === undefined ? '-' : `${(value * 100).toFixed(0)}%`;
}

function fit(text: string, width: number, isRight = false): string {
	const clipped = text.length > width ? `${text.slice(0, width - 1)}…` : text;
	return isRight ? clipped.padStart(width) : clipped.padEnd(width);
}

function progressText(progress: Progress | undefined, now: number): string {
	switch (progress?.state) {
		case undefined:
			return '';
		case 'waiting':
			return 'waiting';
		case 'skipped':
			return 'skipped';
		case 'defragmenting':
			return `defragmenting ${Math.max(0, Math.round((now - progress.since) / 1000))}s`;
		case 'settling':
			return `defragmented in ${(progress.tookMs / 1000).toFixed(1)}s, waiting for it to answer`;
		case 'done':
			return `done ${humanBytes(progress.dbSizeBefore)} -> ${progress.dbSizeAfter === undefined ? '?' : humanBytes(progress.dbSizeAfter)} (${(progress.tookMs / 1000).toFixed(1)}s)`;
		case 'failed':
			return `failed: ${progress.message}`;
	}
}

/** Pane 4: space per member (thresholds: quota use > 80% warns, > 95% is critical), alarms, and the running action. */
export function MaintenancePane({view, state, isReadOnly, now, width, height}: MaintenancePaneProps) {
	const rows = maintenanceRows(view, state.quotas);
	const task = state.task;
	const header = `  ${fit('NAME', 12)} ${fit('ROLE', 8)} ${fit('DB SIZE', 8, true)} ${fit('IN USE', 8, true)} ${fit('FRAG', 5, true)} ${fit('QUOTA', 8, true)} ${fit('USE', 5, true)} ${fit('ALARMS', 8)} ADVICE / PROGRESS`;
	const hasNospace = view.alarms.some(alarm => alarm.alarm === 'NOSPACE');
	const taskLines = task ? task.lines : [];
	const room = Math.max(1, height - rows.length - 6);
	return (
		<Box flexDirection="column" width={width}>
			<Text bold wrap="truncate">
				MAINTENANCE quota use over {quotaWarn * 100}% warns, over {quotaCritical * 100}% is critical
			</Text>
			<Text bold wrap="truncate">
				{header}
			</Text>
			{rows.map(row => {
				const progress = task?.defrag?.progress[row.id ?? ''];
				const advice = progress ? progressText(progress, now) : row.quotaLevel === 'critical' ? 'near the quota: compact and defrag' : row.isDefragSuggested ? 'defrag suggested: less than half in use' : '';
				return (
					<Text key={row.key} wrap="truncate">
						{'  '}
						{fit(row.name || row.id || row.key, 12)} {fit(row.role, 8)} {fit(row.dbSize === undefined ? '-' : humanBytes(row.dbSize), 8, true)} {fit(row.dbSizeInUse === undefined ? '-' : humanBytes(row.dbSizeInUse), 8, true)}{' '}
						{fit(percent(row.fragmentation), 5, true)} {fit(row.quota === undefined ? 'unknown' : humanBytes(row.quota), 8, true)}{' '}
						<Text color={color(levelTone[row.quotaLevel])}>{fit(row.quotaLevel === 'unknown' ? '-' : percent(row.quotaUse), 5, true)}</Text>{' '}
						<Text color={color(row.alarms.length > 0 ? 'bad' : 'muted')}>{fit(row.alarms.join(',') || '-', 8)}</Text>{' '}
						<Text color={color(progress?.state === 'failed' ? 'bad' : progress ? 'accent' : row.quotaLevel === 'critical' ? 'bad' : 'warn')}>{advice}</Text>
					</Text>
				);
			})}
			<Box height={1} />
			{hasNospace && !task?.isRunning ? (
				<Text color={color('bad')} wrap="truncate">
					{isReadOnly ? 'NOSPACE: read-only console; recover with etcdtop defrag --compact --disarm' : 'NOSPACE: press d for the guided recovery: compact to the current revision, defragment every member (leader last), disarm'}
				</Text>
			) : (
				<Text color={color('muted')} wrap="truncate">
					{task ? `${task.kind}: ${task.isRunning ? 'running' : (task.outcome?.type ?? 'over')}${task.outcome ? ` - ${task.outcome.message}` : ''}` : 'd defrag, c compact, x disarm, h check consistency, u usage by prefix'}
				</Text>
			)}
			{task && task.outcome && !task.isRunning ? (
				<Text bold color={color(task.outcome.type === 'done' ? 'good' : 'bad')} wrap="truncate">
					{task.outcome.type}: {task.outcome.message}
				</Text>
			) : null}
			{taskLines.slice(-room).map((line, index) => (
				<Text key={index} wrap="truncate">
					{line}
				</Text>
			))}
		</Box>
	);
}
