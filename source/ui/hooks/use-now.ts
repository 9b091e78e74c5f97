import {useEffect, useState} from 'react';

/**
 * The current time for ages ("down 12s"). Every render re-arms a one-shot timer, so the clock only
 * causes a render of its own when nothing else rendered for `everyMs`: while data arrives each poll,
 * the screen is drawn once per poll, not twice.
 */
export function useNow(everyMs = 1000, now: () => number = Date.now): number {
	const [, setTicks] = useState(0);
	useEffect(() => {
		const timer = setTimeout(() => setTicks(ticks => ticks + 1), everyMs);
		return () => clearTimeout(timer);
	});
	return now();
}
