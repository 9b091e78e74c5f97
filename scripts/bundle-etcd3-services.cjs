'use strict';
// etcd3's service constructors, from etcd's protos as parsed at build time.
//
// etcd3 (lib/connection-pool.js) calls @grpc/proto-loader's loadSync on rpc.proto when it is imported:
// that parses three .proto files, then writes a reflection descriptor of every message of every method,
// which nothing here reads. It was the largest part of `etcdtop status`'s own CPU time. With
// etcd3ServicesPatch (bundle-plugins.js) etcd3 reads the protos from `etcd3-proto-json` (protobufjs's
// Root as JSON, written at build time by the protobufjs proto-loader uses) when its first client is
// made, and builds a service's constructor when it first calls that service. Each method gets the same
// path, streaming flags, (de)serializers and camel-case alias as proto-loader and grpc-js give it, with
// the options etcd3 passes to loadSync.
const grpc = require('@grpc/grpc-js');
const camelCase = require('lodash.camelcase');

/** proto-loader's options from etcd3, less keepCase (applied when the protos were parsed). */
const objectOptions = {longs: String, enums: String, defaults: true, oneofs: true};

function serializerOf(type) {
	return function serialize(value) {
		if (Array.isArray(value)) throw new Error(`Failed to serialize message: expected object with ${type.name} structure, got array instead`);
		return type.encode(type.fromObject(value)).finish();
	};
}

function deserializerOf(type) {
	return function deserialize(buffer) {
		return type.toObject(type.decode(buffer), objectOptions);
	};
}

let root;
const services = Object.create(null);

/**
 * `etcdserverpb[name]` as `grpc.loadPackageDefinition(loadSync(rpc.proto, …)).etcdserverpb[name]` gives
 * it, built when a client of that service is first made (status needs Cluster and Maintenance only);
 * message types resolve on their first use.
 */
function etcdService(name) {
	if (services[name]) return services[name];
	prepare();
	const service = root.lookupService(`etcdserverpb.${name}`);
	const fullName = `etcdserverpb.${service.name}`;
	const methods = {};
	for (const method of service.methodsArray) {
		method.resolve();
		const request = method.resolvedRequestType;
		const response = method.resolvedResponseType;
		methods[method.name] = {
			path: `/${fullName}/${method.name}`,
			requestStream: Boolean(method.requestStream),
			responseStream: Boolean(method.responseStream),
			requestSerialize: serializerOf(request),
			requestDeserialize: deserializerOf(request),
			responseSerialize: serializerOf(response),
			responseDeserialize: deserializerOf(response),
			originalName: camelCase(method.name),
		};
	}
	services[name] = grpc.loadPackageDefinition({[fullName]: methods}).etcdserverpb[service.name];
	return services[name];
}

/**
 * Reads the protos; etcd3's ConnectionPool calls it when made, so no call's deadline pays for it.
 * Root.fromJSON would resolve every field of all ~100 message types at once, and resolving a field
 * writes its type's constructor (a `new Function` each); `status` uses 8 of them. Here each type
 * resolves its own fields when it is first set up (Type#setup, as for any type protobufjs reads before a
 * resolveAll), and only the editions features (proto3's packed repeated scalars) are resolved for all
 * now, as resolveAll does first. The bytes are the same for every message (e2e/bundle-plugins.test).
 */
function prepare() {
	if (root) return;
	const {Root} = require('protobufjs/light');
	const json = require('etcd3-proto-json');
	const loaded = new Root().addJSON(json.nested);
	if (typeof loaded._resolveFeaturesRecursive !== 'function') throw new Error('protobufjs no longer resolves features with _resolveFeaturesRecursive; update scripts/bundle-etcd3-services.cjs');
	loaded._resolveFeaturesRecursive(loaded._edition);
	root = loaded;
}

module.exports = Object.assign(etcdService, {prepare});
