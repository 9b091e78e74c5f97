import {Box} from 'ink';
import {Text} from './text.js';
import {memo} from 'react';
import type {ClusterEvent} from '../../model/events.js';
import {clockTime} from '../../model/format.js';
import {color, type Tone} from '../theme.js';

export interface EventLogProps {
	/** Cluster events, and in the log pane the command log's lines too. */
	readonly events: ReadonlyArray<Pick<ClusterEvent, 'at' | 'severity' | 'text'>>;
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
	const shown = events.slice(-room);
	return (
		<Box flexDirection="column" width={width} height={height}>
			<Text bold wrap="truncate">
				{title} <Text color={color('muted')}>({events.length})</Text>
			</Text>
			{shown.length === 0 ? <Text color={color('muted')}>no events yet</Text> : null}
			{shown.map((event, index) => (
				<Text key={`${event.at}-${index}`} wrap="truncate">
					<Text color={color('muted')}>{clockTime(event.at)}</Text> <Text color={color(tags[event.severity].tone)}>{tags[event.severity].label}</Text> {event.text}
				</Text>
			))}
		</Box>
	);
});
