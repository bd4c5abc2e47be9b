import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { printExecutableGraphQLDocument } from '@graphql-tools/documents';
import {
  Kind,
  parse,
  validate,
  visit,
  type DefinitionNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
} from 'graphql';
import { schema } from '../schema.js';
import { documentHash } from '../server/trusted-documents.js';

// Builds the trusted-documents manifest partners are limited to: npm run manifest -- [folder ...]
// [--out file]. Every operation of the folders' .graphql files becomes one document (with the
// fragments it uses), printed and hashed the way GraphQL Code Generator's client preset does
// (SHA-256), checked against the schema. Prints each operation's hash for the partner.

const USAGE = 'usage: npm run manifest -- [documents folder ...] [--out manifest.json]';

async function graphqlFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && /\.(graphql|gql)$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

function fragmentsUsed(
  node: OperationDefinitionNode | FragmentDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  found: Map<string, FragmentDefinitionNode>,
  problems: string[],
): void {
  visit(node, {
    FragmentSpread(spread) {
      const name = spread.name.value;
      if (found.has(name)) return;
      const fragment = fragments.get(name);
      if (!fragment) {
        problems.push(`fragment ${name} is used but defined in no file`);
        return;
      }
      found.set(name, fragment);
      fragmentsUsed(fragment, fragments, found, problems);
    },
  });
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { out: { type: 'string', default: 'persisted/trusted-documents.json' } },
  });
  const folders = (positionals.length > 0 ? positionals : ['persisted/documents']).map((f) =>
    resolve(f),
  );
  const files = (await Promise.all(folders.map(graphqlFiles))).flat();
  if (files.length === 0) throw new Error(`no .graphql files in ${folders.join(', ')}\n${USAGE}`);

  const problems: string[] = [];
  const operations: { name: string; file: string; node: OperationDefinitionNode }[] = [];
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const file of files) {
    const name = relative(process.cwd(), file);
    let document: DocumentNode;
    try {
      document = parse(await readFile(file, 'utf8'));
    } catch (error) {
      problems.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    for (const definition of document.definitions as DefinitionNode[]) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) {
        if (fragments.has(definition.name.value)) {
          problems.push(`${name}: fragment ${definition.name.value} is defined twice`);
        }
        fragments.set(definition.name.value, definition);
      } else if (definition.kind === Kind.OPERATION_DEFINITION) {
        if (!definition.name) problems.push(`${name}: every operation needs a name`);
        else operations.push({ name: definition.name.value, file: name, node: definition });
      } else {
        problems.push(`${name}: only operations and fragments belong in documents`);
      }
    }
  }
  const names = new Set<string>();
  const manifest: [string, string, string][] = [];
  for (const operation of operations) {
    if (names.has(operation.name)) problems.push(`operation ${operation.name} is defined twice`);
    names.add(operation.name);
    const used = new Map<string, FragmentDefinitionNode>();
    fragmentsUsed(operation.node, fragments, used, problems);
    const document: DocumentNode = {
      kind: Kind.DOCUMENT,
      definitions: [operation.node, ...used.values()],
    };
    for (const error of validate(schema, document)) {
      problems.push(`${operation.file}: ${operation.name}: ${error.message}`);
    }
    const printed = printExecutableGraphQLDocument(document);
    manifest.push([operation.name, documentHash(printed), printed]);
  }
  if (problems.length > 0) {
    throw new Error(`the manifest was not written:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  manifest.sort((a, b) => a[1].localeCompare(b[1]));
  const out = resolve(values.out);
  const entries = Object.fromEntries(manifest.map(([, hash, document]) => [hash, document]));
  await writeFile(out, `${JSON.stringify(entries, null, 2)}\n`);
  const list = [...manifest].sort((a, b) => a[0].localeCompare(b[0]));
  process.stdout.write(
    `${relative(process.cwd(), out)}: ${manifest.length} trusted documents\n` +
      list.map(([name, hash]) => `${hash}  ${name}\n`).join(''),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
