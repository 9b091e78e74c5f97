import type {Failure} from '../../source/etcd/errors.js';
import type {Alarm, EndpointStatus} from '../../source/etcd/types.js';
import type {EtcdMetrics} from '../../source/model/etcd-metrics.js';
import {initialClusterState, reduceCluster, type ClusterAction, type ClusterState} from '../../source/model/cluster-state.js';
import {cluster3} from './fixtures.js';

export const t0 = Date.parse('2026-11-22T12:00:00Z');

/** Replays poller observations over the captured 3-member cluster. */
export class ClusterBuilder {
	state: ClusterState;
	at = t0;

	constructor(
		readonly endpoints = cluster3.endpoints,
		metricsWindowMs?: number,
	) {
		this.state = initialClusterState(endpoints, true, t0, metricsWindowMs);
	}

	apply(action: ClusterAction): this {
		this.state = reduceCluster(this.state, action);
		return this;
	}

	tick(ms = 1000): this {
		this.at += ms;
		return this;
	}

	/** The alarms every member reports from now on (etcd lists them in each status answer). */
	alarms: readonly Alarm[] = [];

	list(members = cluster3.memberList.members): this {
		return this.apply({type: 'member-list-fetched', at: this.at, list: {...cluster3.memberList, members}});
	}

	withAlarms(alarms: readonly Alarm[]): this {
		this.alarms = alarms;
		return this;
	}

	ok(index: number, patch: Partial<EndpointStatus> = {}, latencyMs = 2): this {
		const status = {...cluster3.statuses[index]!, alarms: this.alarms, ...patch};
		return this.apply({type: 'probe-succeeded', endpoint: this.endpoints[index]!, at: this.at, latencyMs, status});
	}

	fail(index: number, failure: Failure): this {
		return this.apply({type: 'probe-failed', endpoint: this.endpoints[index]!, at: this.at, failure});
	}

	/** A member's /metrics were read (`metrics` parsed from captured text), or could not be. */
	scraped(index: number, metrics: EtcdMetrics): this {
		return this.apply({type: 'metrics-scraped', endpoint: this.endpoints[index]!, at: this.at, metrics});
	}

	scrapeFailed(index: number, message: string): this {
		return this.apply({type: 'metrics-failed', endpoint: this.endpoints[index]!, at: this.at, message});
	}

	/** Every member answers with its captured status. */
	allOk(patch: Partial<EndpointStatus> = {}): this {
		for (let index = 0; index < this.endpoints.length; index++) this.ok(index, patch);
		return this;
	}
}

export const leaderId = cluster3.statuses[0]!.leader;
export const memberIds = cluster3.memberList.members.map(member => member.id);
export const memberNames = cluster3.memberList.members.map(member => member.name);
/** Index (in cluster3.statuses/endpoints) of a member that does not lead. */
export const followerIndex = cluster3.statuses.findIndex(status => status.memberId !== leaderId);
export const leaderIndex = cluster3.statuses.findIndex(status => status.memberId === leaderId);
