import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {parseS3Settings} from '../../source/config/s3-options.js';
import {ConfigError} from '../../source/config/errors.js';
import {toS3Error} from '../../source/s3/errors.js';
import {isSnapshotKey, parseS3Url, remoteSnapshotKey} from '../../source/snapshot/remote-name.js';
import {chooseDeletions, parseKeepPolicy, periodOf} from '../../source/model/retention.js';

const hour = 3_600_000;
const at = (iso: string) => Date.parse(iso);

describe('remote snapshot names', () => {
	it('sort in time order across a revision digit change (etcd-operator pruned its newest backup at 99 -> 100)', () => {
		const older = remoteSnapshotKey('etcd/', 'cdf818194e3a8c32', new Date('2026-12-06T08:00:00Z'), 99, false);
		const newer = remoteSnapshotKey('etcd/', 'cdf818194e3a8c32', new Date('2026-12-06T09:00:00Z'), 100, false);
		assert.equal(older, 'etcd/cdf818194e3a8c32/20261206T080000Z-rev99.db');
		assert.equal(newer, 'etcd/cdf818194e3a8c32/20261206T090000Z-rev100.db');
		assert.deepEqual([newer, older].sort(), [older, newer]);
		assert.equal(remoteSnapshotKey('', 'abc', new Date('2026-01-02T03:04:05.678Z'), 7, true), 'abc/20260102T030405Z-rev7.db.age');
		assert.equal(remoteSnapshotKey('a/b', 'abc', new Date('2026-01-02T03:04:05Z'), 7, false), 'a/b/abc/20260102T030405Z-rev7.db');
	});
	it('parses s3 URLs and says what is wrong with bad ones', () => {
		assert.deepEqual(parseS3Url('s3://backups/etcd/'), {bucket: 'backups', key: 'etcd/'});
		assert.deepEqual(parseS3Url('s3://backups'), {bucket: 'backups', key: ''});
		for (const bad of ['s3://B/x', 's3://a/x', 's3://ok-bucket//x', 's3://ok-bucket/a\u001bb']) assert.ok('problem' in parseS3Url(bad), bad);
		assert.ok(isSnapshotKey('p/c/20260102T030405Z-rev7.db.age'));
		assert.ok(!isSnapshotKey('p/c/20260102T030405Z-rev7.db.meta.json'));
	});
});

describe('--keep-policy', () => {
	it('parses tiers and refuses what is not one', () => {
		assert.deepEqual(parseKeepPolicy('hourly=24,daily=7,weekly=4'), {tiers: {hourly: 24, daily: 7, weekly: 4}});
		for (const bad of ['', 'hourly', 'yearly=2', 'daily=0', 'daily=1,daily=2', 'daily=x']) assert.ok('problem' in parseKeepPolicy(bad), bad);
	});
	it('ISO weeks start on Monday and belong to the year of their Thursday', () => {
		assert.equal(periodOf('weekly', at('2026-12-06T12:00:00Z')), periodOf('weekly', at('2026-11-30T00:00:00Z')));
		assert.notEqual(periodOf('weekly', at('2026-12-07T00:00:00Z')), periodOf('weekly', at('2026-12-06T23:59:59Z')));
		assert.equal(periodOf('weekly', at('2027-01-01T00:00:00Z')), '2026-W53');
	});
	it('keeps the newest of each of the N most recent hours and days that have one, and the newest verified', () => {
		// Every 20 minutes for two days.
		const start = at('2026-12-04T00:00:00Z');
		const snapshots = Array.from({length: 144}, (_, index) => ({name: `s${String(index).padStart(3, '0')}`, createdAt: start + index * 20 * 60_000, isVerified: true}));
		const doomed = new Set(chooseDeletions(snapshots, {tiers: {hourly: 3, daily: 2}}));
		const kept = snapshots.filter(snapshot => !doomed.has(snapshot.name)).map(snapshot => snapshot.name);
		// Hours 47, 46, 45 (their last snapshot) and days 2026-12-05 (s143, already kept) and 2026-12-04 (s071).
		assert.deepEqual(kept.sort(), ['s071', 's137', 's140', 's143']);
	});
	it('prefers a verified snapshot in a period and never drops the newest verified one', () => {
		const snapshots = [
			{name: 'a', createdAt: 1 * hour, isVerified: true},
			{name: 'b', createdAt: 1 * hour + 60_000, isVerified: false},
			{name: 'c', createdAt: 5 * hour, isVerified: false},
		];
		assert.deepEqual(chooseDeletions(snapshots, {tiers: {hourly: 2}}), ['b']);
		assert.deepEqual(chooseDeletions(snapshots, {keep: 1}), ['b']);
	});
	it('keep and tiers together keep what either keeps', () => {
		const snapshots = [0, 1, 2, 3].map(index => ({name: `n${index}`, createdAt: index * 24 * hour, isVerified: true}));
		assert.deepEqual(chooseDeletions(snapshots, {keep: 1, tiers: {daily: 2}}), ['n1', 'n0']);
	});
});

describe('S3 settings and errors', () => {
	it('takes the endpoint as the AWS CLI does; path style with a custom endpoint; no credentials in a URL', () => {
		assert.deepEqual(parseS3Settings({}, {}), {endpoint: undefined, isPathStyle: false});
		assert.deepEqual(parseS3Settings({}, {AWS_ENDPOINT_URL: 'http://127.0.0.1:9000/'}), {endpoint: 'http://127.0.0.1:9000', isPathStyle: true});
		assert.equal(parseS3Settings({}, {AWS_ENDPOINT_URL_S3: 'http://a:1', AWS_ENDPOINT_URL: 'http://b:2'}).endpoint, 'http://a:1');
		assert.equal(parseS3Settings({s3Endpoint: 'https://c', s3PathStyle: false}, {AWS_ENDPOINT_URL_S3: 'http://a:1'}).isPathStyle, false);
		assert.throws(() => parseS3Settings({s3Endpoint: 'http://AKIA:secret@h:9000'}, {}), (error: unknown) => error instanceof ConfigError && !error.message.includes('secret'));
		assert.throws(() => parseS3Settings({s3Endpoint: 'ftp://h'}, {}), ConfigError);
	});
	it('classifies failures into words an operator can act on', () => {
		const context = {action: 'upload to', bucket: 'b', key: 'k', endpoint: 'http://127.0.0.1:9'};
		const sdk = (name: string, status: number) => Object.assign(new Error(''), {name, $metadata: {httpStatusCode: status}});
		const cases: Array<[unknown, string, RegExp]> = [
			[sdk('NoSuchBucket', 404), 'no-bucket', /bucket "b" does not exist/],
			[sdk('AccessDenied', 403), 'access-denied', /access denied/],
			[sdk('InvalidAccessKeyId', 403), 'access-denied', /AWS_ACCESS_KEY_ID/],
			[sdk('RequestTimeTooSkewed', 403), 'clock-skew', /clock/],
			[Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), {code: 'ECONNREFUSED'}), 'unreachable', /connection refused .*--s3-endpoint/],
			[Object.assign(new Error('getaddrinfo ENOTFOUND nohost'), {code: 'ENOTFOUND'}), 'unreachable', /cannot resolve/],
			[Object.assign(new Error('socket hang up'), {code: 'ECONNRESET'}), 'connection-cut', /cut/],
			[sdk('ServiceUnavailable', 503), 'server-error', /HTTP 503/],
		];
		for (const [error, kind, words] of cases) {
			const failure = toS3Error(error, context);
			assert.equal(failure.kind, kind);
			assert.match(failure.message, words);
			assert.match(failure.message, /^upload to s3:\/\/b\/k: /);
		}
	});
});
