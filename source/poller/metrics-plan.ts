import {defaultMetricsWindowMs} from '../model/metrics-window.js';
import type {MetricsOptions} from './poller.js';

const defaultEveryMs = 5000;

/** What the plan reads of the configuration (a Config has it: config/metrics-options.ts MetricsSettings). */
export interface MetricsPlanConfig {
	readonly metrics?: {
		/** A member's metrics URL by member name (`--metrics-urls`); others are read at `<client URL>/metrics`. */
		readonly urls: ReadonlyMap<string, string>;
		/** `--metrics-every`; 0 turns reading /metrics off. */
		readonly everyMs: number;
		/** `--metrics-window`; undefined: the console's 30 s, lifetime for `status`. */
		readonly windowMs: number | undefined;
	};
	readonly probeTimeoutMs: number;
}

/**
 * How a command reads /metrics, from its Config; undefined when `--metrics-every 0` turned it off.
 * The console reads every `--metrics-every` with a window (default 30 s) and gives a hung /metrics up to
 * 2 s (it delays nothing). `status` reads once (lifetime percentiles) or, with `--metrics-window`, twice
 * that far apart, each read within `--probe-timeout`, so a hung member still costs only that.
 */
export function metricsPlan(config: MetricsPlanConfig, mode: 'console' | 'status'): MetricsOptions | undefined {
	const settings = config.metrics;
	const everyMs = settings?.everyMs ?? defaultEveryMs;
	if (everyMs === 0) return undefined;
	const urls = settings?.urls ?? new Map<string, string>();
	if (mode === 'status') {
		const windowMs = settings?.windowMs;
		return {everyMs: windowMs ?? 3_600_000, timeoutMs: config.probeTimeoutMs, windowMs, urls, isOnPollGrid: false};
	}
	return {everyMs, timeoutMs: Math.min(everyMs, Math.max(config.probeTimeoutMs, 2000)), windowMs: settings?.windowMs ?? defaultMetricsWindowMs, urls, isOnPollGrid: true};
}
