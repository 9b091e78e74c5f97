import type {Failure} from '../etcd/errors.js';
import type {EndpointStatus, MemberList} from '../etcd/types.js';
import {deriveView, type ClusterView, type Probe, type ViewInput} from './cluster-view.js';
import {appendEvents, diffEvents, type ClusterEvent} from './events.js';
import {pushSample} from './history.js';

export interface ClusterState extends ViewInput {
	readonly memberListAt: number | undefined;
	readonly memberListFailure: Failure | undefined;
	readonly events: readonly ClusterEvent[];
	readonly view: ClusterView;
	readonly updatedAt: number;
}

export type ClusterAction =
	| {readonly type: 'probe-succeeded'; readonly endpoint: string; readonly at: number; readonly latencyMs: number; readonly status: EndpointStatus}
	| {readonly type: 'probe-failed'; readonly endpoint: string; readonly at: number; readonly failure: Failure}
	| {readonly type: 'member-list-fetched'; readonly at: number; readonly list: MemberList}
	| {readonly type: 'member-list-failed'; readonly at: number; readonly failure: Failure};

export function initialClusterState(endpoints: readonly string[], isDiscovering: boolean, at = Date.now()): ClusterState {
	const input: ViewInput = {endpoints, isDiscovering, memberList: undefined, probes: {}, history: {}};
	return Object.freeze({...input, memberListAt: undefined, memberListFailure: undefined, events: [], view: deriveView(input), updatedAt: at});
}

function withProbe(state: ClusterState, endpoint: string, probe: Probe): Pick<ClusterState, 'probes'> {
	return {probes: Object.freeze({...state.probes, [endpoint]: probe})};
}

/** Pure: one poller observation in, the next state (with its view and new events) out. */
export function reduceCluster(state: ClusterState, action: ClusterAction): ClusterState {
	let patch: Partial<ClusterState>;
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
			patch = {memberList: action.list, memberListAt: action.at, memberListFailure: undefined};
			break;
		}
		case 'member-list-failed': {
			patch = {memberListFailure: action.failure};
			break;
		}
	}
	const merged = {...state, ...patch};
	const view = deriveView(merged);
	const events = appendEvents(state.events, diffEvents(state.view, view, action.at));
	return Object.freeze({...merged, view, events, updatedAt: action.at});
}
