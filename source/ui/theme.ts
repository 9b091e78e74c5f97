import type {ClusterHealth} from '../model/cluster-view.js';

/** NO_COLOR (no-color.org): any non-empty value turns colour off; words carry the meaning anyway. */
export const isColorEnabled = !process.env['NO_COLOR'];

export type Tone = 'good' | 'warn' | 'bad' | 'muted' | 'accent';

const colors: Readonly<Record<Tone, string>> = {good: 'green', warn: 'yellow', bad: 'red', muted: 'gray', accent: 'cyan'};

export function color(tone: Tone): string | undefined {
	return isColorEnabled ? colors[tone] : undefined;
}

export function clusterTone(health: ClusterHealth): Tone {
	if (health === 'healthy') return 'good';
	if (health === 'degraded' || health === 'connecting') return 'warn';
	return 'bad';
}
