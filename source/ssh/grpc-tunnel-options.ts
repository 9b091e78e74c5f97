/**
 * gRPC's default HTTP/2 window is 64 KiB; a snapshot stream through SSH (another flow-controlled
 * hop) then crawls at one window per round trip. 8 MiB keeps the pipe full.
 */
export const tunnelFlowControlWindow = 8 * 1024 * 1024;

/**
 * Channel options for an etcd client that dials a tunnel (merge them over its own `grpcOptions`).
 * TLS stays end to end: the client dials 127.0.0.1:<local port>, so it must verify the member's
 * certificate against the member's real name (`serverName` from `tunnelledEndpoint`) and send that
 * name as SNI — which is what `grpc.ssl_target_name_override` does in grpc-js. An IP works too
 * (Node checks IP SANs), with Node's one-time DEP0123 warning about an IP in SNI, which grpc-js
 * already triggers for any https://<ip> endpoint.
 */
export function tunnelChannelOptions(serverName: string, isTls: boolean): Readonly<Record<string, string | number>> {
	return {
		'grpc-node.flow_control_window': tunnelFlowControlWindow,
		...(isTls ? {'grpc.ssl_target_name_override': serverName} : {}),
	};
}
