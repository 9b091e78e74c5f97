import type {EndpointStatus, Failure, MemberList} from './types.js';
import {deriveView, type ClusterView, type Probe, type ViewInput} from './cluster-view.js';
import {appendEvents, diffEvents, type ClusterEvent} from './events.js';
import type {EtcdMetrics} from './etcd-metrics.js';
import {pushSample} from './history.js';
import {recordScrape, recordScrapeFailure} from './metrics-window.js';
import {initialIdentity, seeClusterId, seeTerm, type Identity, type IdentityAlert} from './identity.js';

export interface ClusterState extends ViewInput {
	readonly memberListAt: number | undefined;
	readonly memberListFailure: Failure | undefined;
	/** The cluster IDs and raft terms seen so far: a change of either is a loud alert, never churn. */
	readonly identity: Identity;
	readonly alerts: readonly IdentityAlert[];
	readonly events: readonly ClusterEvent[];
	readonly view: ClusterView;
	readonly updatedAt: number;
	/** The span of the /metrics percentiles; undefined: lifetime (a one-shot status without --metrics-window). */
	readonly metricsWindowMs: number | undefined;
}

export type ClusterAction =
	| {readonly type: 'probe-succeeded'; readonly endpoint: string; readonly at: number; readonly latencyMs: number; readonly status: EndpointStatus}
	| {readonly type: 'probe-failed'; readonly endpoint: string; readonly at: number; readonly failure: Failure}
	| {readonly type: 'member-list-fetched'; readonly at: number; readonly list: MemberList; readonly from?: string}
	| {readonly type: 'member-list-failed'; readonly at: number; readonly failure: Failure}
	/** The console added this member under `name`; etcd lists it nameless until it starts. */
	| {readonly type: 'member-named'; readonly at: number; readonly id: string; readonly name: string}
	| {readonly type: 'metrics-scraped'; readonly endpoint: string; readonly at: number; readonly metrics: EtcdMetrics}
	| {readonly type: 'metrics-failed'; readonly endpoint: string; readonly at: number; readonly message: string};

export function initialClusterState(endpoints: readonly string[], isDiscovering: boolean, at = Date.now(), metricsWindowMs?: number): ClusterState {
	const input: ViewInput = {endpoints, isDiscovering, memberList: undefined, probes: {}, history: {}, metrics: {}, alerts: []};
	return Object.freeze({...input, alerts: [], memberListAt: undefined, memberListFailure: undefined, identity: initialIdentity, events: [], view: deriveView(input), updatedAt: at, metricsWindowMs});
}

/** A peer's name for the words of a finding ("round trip to etcd-3"), its hex ID when unnamed. */
function peerNamer(state: ClusterState): (id: string) => string {
	return id => state.memberList?.members.find(member => member.id === id)?.name || state.givenNames?.[id] || id;
}

function withProbe(state: ClusterState, endpoint: string, probe: Probe): Pick<ClusterState, 'probes'> {
	return {probes: Object.freeze({...state.probes, [endpoint]: probe})};
}

/** A changed cluster ID, or a member's raft term lower than before, in what one observation says. */
function identityAlerts(state: ClusterState, action: ClusterAction): {identity: Identity; alerts: IdentityAlert[]} {
	let {identity} = state;
	const alerts: IdentityAlert[] = [];
	const see = (seen: {identity: Identity; alert: IdentityAlert | undefined}) => {
		identity = seen.identity;
		if (seen.alert) alerts.push(seen.alert);
	};
	if (action.type === 'probe-succeeded') {
		const {status} = action;
		const name = peerNamer(state)(status.memberId);
		see(seeClusterId(identity, status.clusterId, action.at, `${name} says so`));
		see(seeTerm(identity, status.memberId, status.raftTerm, action.at, name));
	} else if (action.type === 'member-list-fetched') {
		see(seeClusterId(identity, action.list.clusterId, action.at, 'the member list says so'));
	}
	return {identity, alerts};
}

/** Pure: one poller observation in, the next state (with its view and new events) out. */
export function reduceCluster(state: ClusterState, action: ClusterAction): ClusterState {
	const {merged, alerts} = applied(state, action);
	return withView(state, merged, alerts, action.at);
}

/**
 * Pure: several observations in, as reduceCluster one after another would take them, with the view
 * derived and compared once at the end (events carry the last one's time): the console takes the
 * members' /metrics answers together, with the next poll's frame.
 */
export function reduceClusterAll(state: ClusterState, actions: readonly ClusterAction[]): ClusterState {
	if (actions.length === 0) return state;
	let merged = state;
	const alerts: IdentityAlert[] = [];
	for (const action of actions) {
		const step = applied(merged, action);
		merged = step.merged;
		alerts.push(...step.alerts);
	}
	return withView(state, merged, alerts, actions.at(-1)!.at);
}

/** One observation applied, its view and events not yet derived. */
function applied(state: ClusterState, action: ClusterAction): {merged: ClusterState; alerts: readonly IdentityAlert[]} {
	let patch: Partial<ClusterState>;
	const {identity, alerts} = identityAlerts(state, action);
	switch (action.type) {
		case 'probe-succeeded': {
			const {status} = action;
			patch = {
				...withProbe(state, action.endpoint, {state: 'ok', at: action.at, latencyMs: action.latencyMs, status}),
				history: Object.freeze({
					...state.history,
					[status.memberId]: pushSample(state.history[status.memberId], {
						at: action.at,
						raftIndex: status.raftIndex,
						revision: status.revision,
						dbSize: status.dbSize,
						latencyMs: action.latencyMs,
					}),
				}),
			};
			break;
		}
		case 'probe-failed': {
			const previous = state.probes[action.endpoint];
			const since = previous?.state === 'unreachable' ? previous.since : action.at;
			const lastOkAt = previous?.state === 'ok' ? previous.at : previous?.state === 'unreachable' ? previous.lastOkAt : undefined;
			patch = withProbe(state, action.endpoint, {state: 'unreachable', at: action.at, failure: action.failure, since, lastOkAt});
			break;
		}
		case 'member-list-fetched': {
			patch = {memberList: action.list, memberListAt: action.at, memberListFailure: undefined, ...(action.from === undefined ? {} : {memberListFrom: action.from})};
			break;
		}
		case 'member-list-failed': {
			patch = {memberListFailure: action.failure};
			break;
		}
		case 'member-named': {
			if (state.givenNames?.[action.id] === action.name) return {merged: state, alerts: []};
			patch = {givenNames: Object.freeze({...state.givenNames, [action.id]: action.name})};
			break;
		}
		case 'metrics-scraped': {
			const track = recordScrape(state.metrics[action.endpoint], {at: action.at, metrics: action.metrics}, state.metricsWindowMs, peerNamer(state));
			patch = {metrics: Object.freeze({...state.metrics, [action.endpoint]: track})};
			break;
		}
		case 'metrics-failed': {
			patch = {metrics: Object.freeze({...state.metrics, [action.endpoint]: recordScrapeFailure(state.metrics[action.endpoint], action.at, action.message)})};
			break;
		}
	}
	return {merged: {...state, ...patch, identity, alerts: alerts.length > 0 ? Object.freeze([...state.alerts, ...alerts]) : state.alerts}, alerts};
}

/** `merged`'s view, and the events from `previous`'s view to it. */
function withView(previous: ClusterState, merged: ClusterState, alerts: readonly IdentityAlert[], at: number): ClusterState {
	const view = deriveView(merged);
	const alertEvents = alerts.map((alert): ClusterEvent => ({at: alert.at, type: alert.type, severity: 'error', text: alert.text}));
	const events = appendEvents(previous.events, [...alertEvents, ...diffEvents(previous.view, view, at)]);
	return Object.freeze({...merged, view, events, updatedAt: at});
}
