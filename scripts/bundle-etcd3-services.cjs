'use strict';
// etcd3's service constructors, built on first use from etcd's protos as parsed at build time.
//
// etcd3 (lib/connection-pool.js) calls @grpc/proto-loader's loadSync on rpc.proto when it is imported:
// that parses three .proto files, then writes a reflection descriptor of every message of every method,
// which nothing here reads. It was the largest part of `etcdtop status`'s own CPU time. The
// etcd3-services plugin in bundle-plugins.js makes etcd3 call this instead, the first time it makes a
// client, with the protos parsed by the same protobufjs at build time (`etcd3-proto-json`, the Root
// as JSON). Each method gets the same path, streaming flags, (de)serializers and camel-case alias as
// proto-loader gives it, with the options etcd3 passes to loadSync.
const grpc = require('@grpc/grpc-js');

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

let services;

/** `etcdserverpb` as `grpc.loadPackageDefinition(loadSync(rpc.proto, …)).etcdserverpb` gives it. */
module.exports = function etcdServices() {
	if (services) return services;
	const {Root, Service} = require('protobufjs/light');
	const camelCase = require('lodash.camelcase');
	const root = Root.fromJSON(require('etcd3-proto-json'));
	root.resolveAll();
	const definition = {};
	for (const service of Object.values(root.lookup('etcdserverpb').nested)) {
		if (!(service instanceof Service)) continue;
		const name = `etcdserverpb.${service.name}`;
		const methods = {};
		for (const method of service.methodsArray) {
			const request = method.resolvedRequestType;
			const response = method.resolvedResponseType;
			methods[method.name] = {
				path: `/${name}/${method.name}`,
				requestStream: Boolean(method.requestStream),
				responseStream: Boolean(method.responseStream),
				requestSerialize: serializerOf(request),
				requestDeserialize: deserializerOf(request),
				responseSerialize: serializerOf(response),
				responseDeserialize: deserializerOf(response),
				originalName: camelCase(method.name),
			};
		}
		definition[name] = methods;
	}
	services = grpc.loadPackageDefinition(definition).etcdserverpb;
	return services;
};
