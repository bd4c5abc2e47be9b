import { parentPort } from 'node:worker_threads';
import { schema } from '../schema.js';
import { readUploadBody, type UploadReading } from './upload-body.js';
import type { UploadTask } from './upload-workers.js';

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
    ? [sales.times.buffer, sales.order.buffer, sales.stores.line.buffer, sales.products.line.buffer]
    : [];
  parentPort?.postMessage({ id, reading }, transfer as ArrayBuffer[]);
});
parentPort?.postMessage('ready');
