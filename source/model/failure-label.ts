import type {Failure} from './types.js';

/** A failure kind in an operator's words: kinds are kebab-case data, screens say "tunnel down". */
export function failureLabel(failure: Pick<Failure, 'kind'> | undefined, fallback = 'error'): string {
	if (!failure) return fallback;
	if (failure.kind === 'tunnel-down') return 'tunnel down';
	if (failure.kind === 'permission-denied') return 'permission denied';
	if (failure.kind === 'learner') return 'a learner: it answers only Status and serializable reads';
	return failure.kind;
}
