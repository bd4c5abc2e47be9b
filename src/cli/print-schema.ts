import { writeFile } from 'node:fs/promises';
import { printSchemaSdl } from '../schema.js';

// Regenerates schema.graphql from the Pothos schema (the schema test fails when it is stale).
await writeFile(new URL('../../schema.graphql', import.meta.url), printSchemaSdl());
process.stdout.write('schema.graphql written\n');
