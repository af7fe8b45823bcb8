import { parentPort, workerData } from 'node:worker_threads';
import { extractText, type ExtractionJob } from './extract-text';

// The entry of the extraction worker (see TextExtractor): one document per worker, which the server ends when
// it runs out of time or memory.
void extractText(workerData as ExtractionJob).then((result) => parentPort!.postMessage(result));
