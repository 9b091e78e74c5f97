import {parentPort, workerData} from 'node:worker_threads';
import {NoDecryptKeyError, verifySnapshotFile, type DecryptKeys} from './verify.js';

// The bbolt walk and CRC are synchronous and take seconds on a large file: here, off the console's thread.
const {path, keys} = workerData as {path: string; keys: DecryptKeys};
try {
	const status = await verifySnapshotFile(path, keys);
	parentPort!.postMessage({
		kind: 'done',
		isSound: status.isSound,
		revision: status.revision,
		totalKey: status.totalKey,
		reason: status.problemCount > 0 ? status.problems.slice(0, 2).join('; ') : status.sha256 === 'mismatch' ? 'the sha256 trailer does not match' : undefined,
	});
} catch (error) {
	parentPort!.postMessage({kind: error instanceof NoDecryptKeyError ? 'locked' : 'error', message: (error as Error).message});
}
