import {Box} from 'ink';
import {Text} from './text.js';
import {memo} from 'react';
import type {ClusterEvent} from '../../model/events.js';
import {clockTime} from '../../model/format.js';
import {color, type Tone} from '../theme.js';
import {hardWrap} from '../hard-wrap.js';

export interface EventLogProps {
	/** Cluster events, and in the log pane the command log's lines too. */
	readonly events: ReadonlyArray<Pick<ClusterEvent, 'at' | 'severity' | 'text'> & {readonly isWhole?: boolean}>;
	readonly height: number;
	readonly width: number;
	readonly title?: string;
}

const tags: Readonly<Record<ClusterEvent['severity'], {label: string; tone: Tone}>> = {
	info: {label: 'INFO', tone: 'good'},
	warn: {label: 'WARN', tone: 'warn'},
	error: {label: 'FAIL', tone: 'bad'},
};

/**
 * The newest events that fit, oldest first, so the log reads top to bottom. Memoized: the log changes
 * far less often than the frame around it, and an unchanged one then costs React and Ink nothing.
 */
export const EventLog = memo(function EventLog({events, height, width, title = 'EVENTS'}: EventLogProps) {
	const room = Math.max(0, height - 1);
	// A line to copy (start settings, --etcd-servers) is wrapped whole and takes the rows it needs; the
	// rest are cut at the edge. The newest that fit are shown.
	const prefix = 'HH:MM:SS INFO '.length;
	let first = events.length;
	for (let rows = 0; first > 0; first--) {
		const event = events[first - 1]!;
		const need = event.isWhole ? hardWrap(event.text, width, width - prefix).length : 1;
		if (rows + need > room) break;
		rows += need;
	}
	const shown = events.slice(first);
	return (
		<Box flexDirection="column" width={width} height={height}>
			<Text bold wrap="truncate">
				{title} <Text color={color('muted')}>({events.length})</Text>
			</Text>
			{shown.length === 0 ? <Text color={color('muted')}>no events yet</Text> : null}
			{shown.map((event, index) => {
				const [head = '', ...rest] = event.isWhole ? hardWrap(event.text, width, width - prefix) : [event.text];
				return (
					<Box key={`${event.at}-${index}`} flexDirection="column">
						<Text wrap="truncate">
							<Text color={color('muted')}>{clockTime(event.at)}</Text> <Text color={color(tags[event.severity].tone)}>{tags[event.severity].label}</Text> {head}
						</Text>
						{rest.map((row, rowIndex) => (
							<Text key={rowIndex} wrap="truncate">
								{row}
							</Text>
						))}
					</Box>
				);
			})}
		</Box>
	);
});
