import {DurationError, durationRanges, parseDurationIn, type DurationRange} from './duration.js';
import {ConfigError} from './errors.js';

/** How etcdtop reads the members' /metrics. */
export interface MetricsSettings {
	/** Where a member's metrics are read, by member name (`--metrics-urls`, or a kubeadm manifest's `--listen-metrics-urls`). */
	readonly urls: ReadonlyMap<string, string>;
	/** `--metrics-every`: the console's scrape period; 0 turns reading /metrics off (console and status). */
	readonly everyMs: number;
	/** `--metrics-window`: span of the percentiles; undefined: the console's 30 s, and lifetime for `status`. */
	readonly windowMs: number | undefined;
}

export interface MetricsFlags {
	readonly metricsUrls?: string;
	readonly metricsEvery?: string;
	readonly metricsWindow?: string;
}

export const defaultMetricsEveryMs = 5000;

/**
 * `NAME=URL,NAME=URL`: an http(s) URL per member name. A URL without a path is a listener's address
 * (kubeadm's `--listen-metrics-urls=http://127.0.0.1:2381`) and is read at `/metrics`.
 */
export function parseMetricsUrls(text: string, input = '--metrics-urls'): Map<string, string> {
	const urls = new Map<string, string>();
	const fix = 'use NAME=URL,… with each member\'s name, e.g. etcd-1=http://10.0.0.1:2381';
	for (const entry of text.split(',').map(part => part.trim())) {
		if (entry === '') continue;
		const equals = entry.indexOf('=');
		const name = equals === -1 ? '' : entry.slice(0, equals).trim();
		const value = equals === -1 ? '' : entry.slice(equals + 1).trim();
		if (name === '' || value === '') throw new ConfigError(input, `"${entry}" is not NAME=URL`, fix);
		if (urls.has(name)) throw new ConfigError(input, `member "${name}" is given twice`, 'give one URL per member');
		let url: URL;
		try {
			url = new URL(value);
		} catch {
			throw new ConfigError(input, `"${value}" (for ${name}) is not a URL`, 'give http://host:port or https://host:port[/path]');
		}
		if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(input, `"${value}" (for ${name}) is not http or https`, 'give http://host:port or https://host:port[/path]');
		if (url.pathname === '/' || url.pathname === '') url.pathname = '/metrics';
		urls.set(name, url.href);
	}
	if (urls.size === 0) throw new ConfigError(input, 'no NAME=URL was given', fix);
	return urls;
}

function durationOf(value: string | undefined, input: string, range: DurationRange, isZeroOff: boolean): number | undefined {
	if (value === undefined) return undefined;
	if (isZeroOff && value.trim() === '0') return 0;
	try {
		return parseDurationIn(value, range);
	} catch (error) {
		if (error instanceof DurationError) throw new ConfigError(input, error.message, isZeroOff ? `${error.fix}; or 0 to turn metrics off` : error.fix);
		throw error;
	}
}

export function buildMetricsSettings(flags: MetricsFlags): MetricsSettings {
	return Object.freeze({
		urls: flags.metricsUrls === undefined ? new Map<string, string>() : parseMetricsUrls(flags.metricsUrls),
		everyMs: durationOf(flags.metricsEvery, '--metrics-every', durationRanges.metricsEvery, true) ?? defaultMetricsEveryMs,
		windowMs: durationOf(flags.metricsWindow, '--metrics-window', durationRanges.metricsWindow, false),
	});
}
