import {ClassifiedError, classifyError} from '../etcd/errors.js';
import type {EndpointStatus, MemberList} from '../etcd/types.js';
import {initialClusterState, reduceCluster, reduceClusterAll, type ClusterAction, type ClusterState} from '../model/cluster-state.js';
import {watchedEndpoints} from '../model/cluster-view.js';
import {reportsNoLeader} from '../model/leader.js';
import {parseEtcdMetrics} from '../model/etcd-metrics.js';
import {metricsUrlOf} from '../model/metrics-target.js';
import {readMemberList} from '../route/observe.js';
import type {Routes} from '../route/routes.js';
import {realTimers, type Timers} from './timers.js';

/** The calls the poller makes; a routed client (route/routes.ts) in production, a fake in unit tests. */
export interface StatusSource {
	status(timeoutMs: number): Promise<EndpointStatus>;
	memberList(timeoutMs: number): Promise<MemberList>;
	close(): void;
}

/** What the poller reads of the configuration (a Config has it). */
export interface PollerConfig {
	readonly endpoints: readonly string[];
	readonly isDiscovering: boolean;
	readonly intervalMs: number;
	readonly probeTimeoutMs: number;
}

/**
 * Reading each member's /metrics, on a loop of its own beside the status polls: a slow or hung
 * /metrics delays no poll, and each read has a deadline.
 */
export interface MetricsOptions {
	/** Scrape period. */
	readonly everyMs: number;
	/** Deadline of one scrape. */
	readonly timeoutMs: number;
	/** Span of the percentiles; undefined: lifetime (one scrape is enough). */
	readonly windowMs: number | undefined;
	/** `--metrics-urls`: a member's metrics URL by member name; others are read at `<client URL>/metrics`. */
	readonly urls: ReadonlyMap<string, string>;
	/**
	 * The console's reads: between the polls, half an interval after one (on the checks' ticks), the
	 * first a whole interval after the start, and their answers ride with the next poll's frame. A read
	 * at a poll's tick (~150 KB and its parse per member) held up that poll's answers past their frame's
	 * batch and the clock's own frame (two or three frames where one does), and the first reads, made at
	 * once, were work the console's first frame waited for. False: each member's first read is at once
	 * and its clock starts there, so a second read comes a whole window later (`status`).
	 */
	readonly isOnPollGrid?: boolean;
}

/** etcd's /metrics is ~150-200 KB; a listener answering far more is not etcd's. */
const metricsMaxBytes = 4 * 1024 * 1024;

export interface PollerOptions {
	/**
	 * How each member is reached (Routes, direct or `--via`); the poller closes the clients it opened.
	 * /metrics are read with `httpGet`, through the same route as the member's status calls.
	 */
	readonly routes: {client(endpoint: string): StatusSource; httpGet?: Routes['httpGet']};
	/** Read every member's /metrics too; `settled()` then also waits for each member's scrapes. */
	readonly metrics?: MetricsOptions;
	/** Wall-clock time of each observation. */
	readonly now?: () => number;
	/** The clock and timers the loops run on; real ones unless a test brings a virtual clock. */
	readonly timers?: Timers;
	/**
	 * Gathers the observations of this many milliseconds into one published snapshot (the console
	 * re-renders once per batch); 0 publishes each at once (status wants its answer without delay).
	 */
	readonly batchMs?: number;
}

/**
 * A loop that runs `task` now, then again at the next tick of a grid shared by every loop (multiples
 * of the interval from one epoch), scheduled only once the run finished: runs never overlap, a slow
 * run delays only its own next run, and healthy members are probed together, so their answers
 * arrive together and cost one screen update rather than one each.
 *
 * With `hasChecks` the grid has a tick halfway through each interval too, where `task` runs as a
 * check (`isCheck` true).
 */
class Loop {
	private timer: unknown;
	private isRunning = false;
	private isActive = true;

	constructor(
		private readonly task: (isCheck: boolean) => Promise<void>,
		private readonly interval: () => number,
		private readonly isPaused: () => boolean,
		private readonly epoch: number,
		private readonly timers: Timers,
		private readonly hasChecks = false,
	) {}

	private nextTick(): {delay: number; isCheck: boolean} {
		const step = this.hasChecks ? this.interval() / 2 : this.interval();
		const now = this.timers.monotonic();
		const index = Math.ceil((now - this.epoch + 1) / step);
		return {delay: this.epoch + index * step - now, isCheck: this.hasChecks && index % 2 === 1};
	}

	/** Runs at once unless a run is under way (which then is the fresh one). */
	kick(isCheck = false): void {
		if (!this.isActive || this.isRunning) return;
		this.timers.clearTimeout(this.timer);
		this.timer = undefined;
		this.isRunning = true;
		void this.task(isCheck).finally(() => {
			this.isRunning = false;
			if (!this.isActive || this.isPaused()) return;
			this.schedule();
		});
	}

	/** Runs at the next tick of the grid. */
	schedule(): void {
		if (!this.isActive || this.isRunning) return;
		this.timers.clearTimeout(this.timer);
		const next = this.nextTick();
		// A pause that began while this timer waited holds too; resuming kicks every loop anew.
		this.timer = this.timers.setTimeout(() => {
			if (!this.isPaused()) this.kick(next.isCheck);
		}, next.delay);
	}

	stop(): void {
		this.isActive = false;
		this.timers.clearTimeout(this.timer);
	}
}

/** What the console reads: the cluster plus the poller's own controls, replaced whole on any change. */
export interface PollerSnapshot {
	readonly cluster: ClusterState;
	readonly intervalMs: number;
	readonly isPaused: boolean;
}

/**
 * Polls every member on its own loop and publishes immutable ClusterState snapshots. The UI reads it
 * with useSyncExternalStore; `status` runs it until every member answered once.
 */
export class Poller {
	private state: ClusterState;
	private snapshot: PollerSnapshot;
	private readonly listeners = new Set<() => void>();
	private readonly sources = new Map<string, StatusSource>();
	private readonly probeLoops = new Map<string, Loop>();
	private readonly metricsLoops = new Map<string, Loop>();
	/** Finished scrapes (answered or failed) per endpoint: a windowed `status` needs two. */
	private readonly scrapes = new Map<string, number>();
	private readonly metrics: MetricsOptions | undefined;
	private discoveryLoop: Loop | undefined;
	private lastGoodDiscovery: string | undefined;
	private hasTriedDiscovery = false;
	private intervalMs: number;
	private isPaused = false;
	private isStopped = false;
	private readonly now: () => number;
	private readonly timers: Timers;
	private readonly epoch: number;
	private readonly batchMs: number;
	private batchTimer: unknown;
	private metricsTimer: unknown;
	/** /metrics answers not yet taken into the state (see dispatch). */
	private pendingMetrics: ClusterAction[] = [];
	private readonly routes: PollerOptions['routes'];

	constructor(
		private readonly config: PollerConfig,
		options: PollerOptions,
	) {
		this.now = options.now ?? Date.now;
		this.timers = options.timers ?? realTimers;
		this.epoch = this.timers.monotonic();
		this.batchMs = options.batchMs ?? 0;
		this.intervalMs = config.intervalMs;
		this.metrics = options.metrics;
		this.state = initialClusterState(config.endpoints, config.isDiscovering, this.now(), options.metrics?.windowMs);
		this.snapshot = Object.freeze({cluster: this.state, intervalMs: this.intervalMs, isPaused: this.isPaused});
		this.routes = options.routes;
	}

	readonly subscribe = (listener: () => void): (() => void) => {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	};

	readonly getSnapshot = (): PollerSnapshot => this.snapshot;

	start(): void {
		// Membership changes rarely; asking every third poll saves the console calls. (Alarms come with
		// every status answer.)
		this.discoveryLoop = new Loop(async () => this.discover(), () => this.intervalMs * 3, () => this.isPaused, this.epoch, this.timers);
		this.discoveryLoop.kick();
		this.reconcile();
	}

	/** Probes every member now (those mid-probe are already fresh). */
	refresh(): void {
		this.discoveryLoop?.kick();
		for (const loop of this.probeLoops.values()) loop.kick();
		for (const loop of this.metricsLoops.values()) loop.kick();
	}

	setPaused(isPaused: boolean): void {
		this.isPaused = isPaused;
		if (!isPaused) this.refresh();
		this.emit();
	}

	/** The console added member `id` under `name`: rows, header and events use it until etcd reports one. */
	nameMember(id: string, name: string): void {
		this.dispatch({type: 'member-named', at: this.now(), id, name});
	}

	setInterval(ms: number): void {
		this.intervalMs = Math.max(100, Math.min(60_000, ms));
		this.emit();
	}

	/**
	 * Resolves once discovery was tried and every watched endpoint answered or failed once, and with
	 * metrics, once each was scraped once (twice, a window apart, when a window is asked for).
	 */
	async settled(): Promise<ClusterState> {
		const scrapesNeeded = this.metrics ? (this.metrics.windowMs === undefined ? 1 : 2) : 0;
		const isSettled = () =>
			this.hasTriedDiscovery &&
			watchedEndpoints(this.state).every(endpoint => this.state.probes[endpoint] !== undefined && (this.scrapes.get(endpoint) ?? 0) >= scrapesNeeded);
		this.takePendingMetrics();
		if (isSettled()) return this.state;
		return new Promise(resolve => {
			const unsubscribe = this.subscribe(() => {
				if (!isSettled()) return;
				unsubscribe();
				resolve(this.state);
			});
		});
	}

	stop(): void {
		this.isStopped = true;
		this.timers.clearTimeout(this.batchTimer);
		this.timers.clearTimeout(this.metricsTimer);
		this.discoveryLoop?.stop();
		for (const loop of this.probeLoops.values()) loop.stop();
		this.probeLoops.clear();
		for (const loop of this.metricsLoops.values()) loop.stop();
		this.metricsLoops.clear();
		for (const source of this.sources.values()) source.close();
		this.sources.clear();
	}

	private dispatch(action: ClusterAction): void {
		if (this.isStopped) return;
		// /metrics answers ride along with the next poll's frame (at most an interval later): a frame of
		// their own each would cost the console a render per member per read. They are taken into the
		// state together then too (one view derived for all of them), or before any other answer.
		if (this.batchMs > 0 && (action.type === 'metrics-scraped' || action.type === 'metrics-failed')) {
			this.pendingMetrics.push(action);
			this.metricsTimer ??= this.timers.setTimeout(() => {
				this.metricsTimer = undefined;
				this.emit();
			}, this.intervalMs);
			return;
		}
		this.takePendingMetrics();
		// A member going down is news that no other answer is coming to share a frame with.
		const isNews = action.type === 'probe-failed' && this.state.probes[action.endpoint]?.state === 'ok';
		this.state = reduceCluster(this.state, action);
		this.reconcile();
		if (this.batchMs > 0 && !isNews) {
			this.batchTimer ??= this.timers.setTimeout(() => {
				this.batchTimer = undefined;
				this.emit();
			}, this.batchMs);
			return;
		}
		this.timers.clearTimeout(this.batchTimer);
		this.batchTimer = undefined;
		this.emit();
	}

	private takePendingMetrics(): void {
		if (this.pendingMetrics.length === 0) return;
		const actions = this.pendingMetrics;
		this.pendingMetrics = [];
		this.state = reduceClusterAll(this.state, actions);
		this.reconcile();
	}

	private emit(): void {
		this.takePendingMetrics();
		this.timers.clearTimeout(this.metricsTimer);
		this.metricsTimer = undefined;
		this.snapshot = Object.freeze({cluster: this.state, intervalMs: this.intervalMs, isPaused: this.isPaused});
		for (const listener of this.listeners) listener();
	}

	private source(endpoint: string): StatusSource {
		let source = this.sources.get(endpoint);
		if (!source) {
			source = this.routes.client(endpoint);
			this.sources.set(endpoint, source);
		}
		return source;
	}

	/** Starts a loop for each newly watched endpoint and ends the loops (and clients) of gone ones. */
	private reconcile(): void {
		if (this.isStopped) return;
		const watched = new Set(watchedEndpoints(this.state));
		for (const [endpoint, loop] of this.probeLoops) {
			if (watched.has(endpoint)) continue;
			loop.stop();
			this.probeLoops.delete(endpoint);
			if (!this.config.endpoints.includes(endpoint)) {
				this.sources.get(endpoint)?.close();
				this.sources.delete(endpoint);
			}
		}
		for (const endpoint of watched) {
			if (this.probeLoops.has(endpoint)) continue;
			const loop = new Loop(async isCheck => this.probe(endpoint, isCheck), () => this.intervalMs, () => this.isPaused, this.epoch, this.timers, true);
			this.probeLoops.set(endpoint, loop);
			loop.kick();
		}
		const metrics = this.metrics;
		// A member's --metrics-urls entry is found by its name, which the member list tells; without any,
		// reads start at once, beside the first polls (status then waits for no extra round trip).
		if (!metrics || (metrics.urls.size > 0 && !this.hasTriedDiscovery)) return;
		for (const [endpoint, loop] of this.metricsLoops) {
			if (watched.has(endpoint)) continue;
			loop.stop();
			this.metricsLoops.delete(endpoint);
		}
		const isBetweenPolls = metrics.isOnPollGrid !== false;
		for (const endpoint of watched) {
			if (this.metricsLoops.has(endpoint)) continue;
			// Between polls: the grid of every --metrics-every from one and a half intervals after the start.
			const epoch = isBetweenPolls ? this.epoch + this.intervalMs * 1.5 : this.timers.monotonic();
			const loop = new Loop(async () => this.scrape(endpoint, metrics), () => metrics.everyMs, () => this.isPaused, epoch, this.timers);
			this.metricsLoops.set(endpoint, loop);
			if (isBetweenPolls) loop.schedule();
			else loop.kick();
		}
	}

	/**
	 * One read of a member's metrics through its route (the same TLS name, client certificate and
	 * `--via` tunnel as its status calls), bounded by its deadline.
	 */
	private async scrape(endpoint: string, metrics: MetricsOptions): Promise<void> {
		const member = this.state.view.members.find(row => row.endpoint === endpoint);
		const url = metricsUrlOf(endpoint, member?.name, metrics.urls);
		const controller = new AbortController();
		let timer: unknown;
		// The route has its own deadline; this one holds even if a read ignored it, so the loop goes on.
		const deadline = new Promise<never>((_, reject) => {
			timer = this.timers.setTimeout(() => {
				const error = new ClassifiedError({kind: 'timeout', message: `no answer within ${metrics.timeoutMs} ms`});
				controller.abort(error);
				reject(error);
			}, metrics.timeoutMs + 50);
		});
		let action: ClusterAction;
		try {
			if (!this.routes.httpGet) throw new Error('this route cannot read HTTP');
			const target = new URL(url);
			const answer = await Promise.race([this.routes.httpGet(url, `${target.pathname}${target.search}`, {timeoutMs: metrics.timeoutMs, signal: controller.signal, maxBytes: metricsMaxBytes}), deadline]);
			if (answer.status !== 200) {
				const said = answer.body.trim().split('\n')[0]?.slice(0, 80) ?? '';
				throw new Error(`HTTP ${answer.status}${said ? ` (${said})` : ''}`);
			}
			action = {type: 'metrics-scraped', endpoint, at: this.now(), metrics: parseEtcdMetrics(answer.bytes ?? answer.body)};
		} catch (error) {
			const failure = error instanceof ClassifiedError ? error.failure : undefined;
			const why = failure ? `${failure.kind}: ${failure.message}` : error instanceof Error ? error.message : String(error);
			action = {type: 'metrics-failed', endpoint, at: this.now(), message: `${url}: ${why}`};
		} finally {
			this.timers.clearTimeout(timer);
		}
		this.scrapes.set(endpoint, (this.scrapes.get(endpoint) ?? 0) + 1);
		this.dispatch(action);
	}

	/**
	 * A poll publishes what the member answers. A check, half an interval later, only asks whether it
	 * still answers, so that a member that hangs just after a poll reads `timeout` within
	 * probe-timeout + interval/2 rather than + interval: its numbers wait for the next poll (one screen
	 * update per interval) unless the member was down and is back.
	 */
	private async probe(endpoint: string, isCheck: boolean): Promise<void> {
		const started = this.timers.monotonic();
		try {
			const status = await this.source(endpoint).status(this.config.probeTimeoutMs);
			if (isCheck && this.state.probes[endpoint]?.state === 'ok') return;
			this.dispatch({type: 'probe-succeeded', endpoint, at: this.now(), latencyMs: this.timers.monotonic() - started, status});
		} catch (error) {
			this.dispatch({type: 'probe-failed', endpoint, at: this.now(), failure: classifyError(error)});
		}
	}

	/**
	 * Asks for the member list from the endpoint that answered last, else every known
	 * endpoint at once, so that one hung endpoint costs nothing beyond its own deadline.
	 */
	private async discover(): Promise<void> {
		const timeout = this.config.probeTimeoutMs;
		const everyone = [...new Set([...this.config.endpoints, ...watchedEndpoints(this.state)])];
		// A learner refuses MemberList (etcd serves learners only Status and serializable reads), and a member that
		// lost its leader answers what it last knew: ask the others while there are any.
		const isAskable = (endpoint: string) => {
			const probe = this.state.probes[endpoint];
			return !(probe?.state === 'ok' && (probe.status.isLearner || reportsNoLeader(probe.status)));
		};
		const voters = everyone.filter(isAskable);
		const known = voters.length > 0 ? voters : everyone;
		const clientFor = (endpoint: string) => this.source(endpoint);
		try {
			let result;
			try {
				if (!this.lastGoodDiscovery) throw new Error('no endpoint answered yet');
				if (!isAskable(this.lastGoodDiscovery)) throw new Error('the last member to answer reports no leader');
				result = await readMemberList(clientFor, [this.lastGoodDiscovery], timeout);
			} catch {
				result = await readMemberList(clientFor, known, timeout);
			}
			this.lastGoodDiscovery = result.endpoint;
			this.hasTriedDiscovery = true;
			this.dispatch({type: 'member-list-fetched', at: this.now(), list: result.list, from: result.endpoint});
		} catch (error) {
			this.lastGoodDiscovery = undefined;
			this.hasTriedDiscovery = true;
			const cause = error instanceof AggregateError ? error.errors[0] : error;
			this.dispatch({type: 'member-list-failed', at: this.now(), failure: classifyError(cause)});
		}
	}
}
