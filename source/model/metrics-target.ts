/**
 * Where a member's metrics are read: its `--metrics-urls` (or kubeadm manifest) URL by member name,
 * else `/metrics` on the client URL the member is polled at (same TLS and client certificate).
 */
export function metricsUrlOf(endpoint: string, name: string | undefined, urls: ReadonlyMap<string, string>): string {
	const configured = name ? urls.get(name) : undefined;
	if (configured) return configured;
	return `${endpoint.replace(/\/+$/, '')}/metrics`;
}
