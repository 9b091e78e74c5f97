import {useEffect, useState} from 'react';

/** The current time, ticking, so ages ("down 12s") move even when no new data arrives. */
export function useNow(everyMs = 1000, now: () => number = Date.now): number {
	const [time, setTime] = useState(now);
	useEffect(() => {
		const timer = setInterval(() => setTime(now()), everyMs);
		return () => clearInterval(timer);
	}, [everyMs, now]);
	return time;
}
