'use strict';
// The entry of the etcd client's script (scripts/etcd-client-loader.js, built by bundle-plugins.js):
// the packages the CLI imports of it, each run when first read, as a plain import of it would.
module.exports = {
	get etcd3() {
		return require('etcd3');
	},
	get '@grpc/grpc-js'() {
		return require('@grpc/grpc-js');
	},
	get cockatiel() {
		return require('cockatiel');
	},
};
