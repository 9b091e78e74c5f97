import type {Failure} from '../etcd/errors.js';

/** A failure kind in an operator's words: kinds are kebab-case data, screens say "tunnel down". */
export function failureLabel(failure: Pick<Failure, 'kind'> | undefined, fallback = 'error'): string {
	if (!failure) return fallback;
	return failure.kind === 'tunnel-down' ? 'tunnel down' : failure.kind;
}
