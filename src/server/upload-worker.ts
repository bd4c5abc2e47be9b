import { getPriority, setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { schema } from '../schema.js';
import { readUploadBody, type UploadReading } from './upload-body.js';
import { UPLOAD_WORKER_NICE, type UploadTask } from './upload-workers.js';

// An upload worker runs below the gateway's main thread in priority (on Linux a thread has its
// own nice value): on a busy machine the queries' work goes first, the uploads' after.
try {
  setPriority(Math.min(19, getPriority() + UPLOAD_WORKER_NICE));
} catch {
  // Not allowed here (or not per thread): the worker runs at the process's priority.
}

// An upload worker: says it is ready once loaded, then reads the bodies it is sent
// (readUploadBody) and answers each with what it found, the prepared lines' typed arrays moved
// rather than copied.
parentPort?.on('message', ({ id, bytes, times }: UploadTask) => {
  let reading: UploadReading;
  try {
    reading = readUploadBody(bytes, schema, times, Date.now());
  } catch {
    reading = { kind: 'as-is' };
  }
  const { sales } = reading.kind === 'prepared' ? reading : { sales: null };
  const transfer = sales
    ? [sales.times.buffer, sales.stores.line.buffer, sales.products.line.buffer]
    : [];
  parentPort?.postMessage({ id, reading }, transfer as ArrayBuffer[]);
});
parentPort?.postMessage('ready');
