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

/** Reads the protos; etcd3's ConnectionPool calls it when made, so no call's deadline pays for it. */
function prepare() {
	const {Root} = require('protobufjs/light');
	root ??= Root.fromJSON(require('etcd3-proto-json'));
}

module.exports = Object.assign(etcdService, {prepare});
