import {
  getNullableType,
  getVariableValues,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  Kind,
  parse,
  typeFromAST,
  visit,
  type DocumentNode,
  type GraphQLInputObjectType,
  type GraphQLLeafType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type VariableDefinitionNode,
} from 'graphql';
import type { IngestTimeRule } from '../ingest-time.js';
import { prepareSales, type PreparedSales, type SaleLine } from '../sales/sale-batch.js';
import { variablesProblem } from './input-checks.js';

/**
 * What reading an upload's body off the main thread gave: the request's parameters with the
 * recordSales lines taken out (its `sales` variable an empty list) and those lines prepared,
 * or nothing, and the body is parsed as any other.
 */
export type UploadReading =
  { kind: 'prepared'; params: Record<string, unknown>; sales: PreparedSales } | { kind: 'as-is' };

const AS_IS: UploadReading = { kind: 'as-is' };

/** Whether a request's body is JSON, as the gateway's JSON request parser decides it. */
export function isJsonBody(contentType: string | null): boolean {
  const type = contentType?.split(',')[0];
  return (
    type !== undefined &&
    ['application/json', 'application/graphql+json'].some(
      (json) => type === json || type.startsWith(`${json};`),
    )
  );
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The variable holding the lines of `document` when it is one mutation whose one field is
 * recordSales with `sales: $variable`, used nowhere else and without directives; else null.
 */
function salesVariable(
  document: DocumentNode,
  operationName: unknown,
): VariableDefinitionNode | null {
  const [operation, ...others] = document.definitions;
  if (others.length > 0 || operation?.kind !== Kind.OPERATION_DEFINITION) return null;
  const op: OperationDefinitionNode = operation;
  if (op.operation !== 'mutation' || op.directives?.length) return null;
  if (operationName != null && operationName !== op.name?.value) return null;
  const [field, ...siblings] = op.selectionSet.selections;
  if (siblings.length > 0 || field?.kind !== Kind.FIELD || field.name.value !== 'recordSales') {
    return null;
  }
  const [argument, ...more] = field.arguments ?? [];
  if (field.directives?.length || more.length > 0 || argument?.name.value !== 'sales') return null;
  if (argument.value.kind !== Kind.VARIABLE) return null;
  const name = argument.value.name.value;
  let uses = 0;
  visit(op.selectionSet, {
    Variable(node) {
      if (node.name.value === name) uses += 1;
    },
  });
  if (uses !== 1) return null;
  return op.variableDefinitions?.find((d) => d.variable.name.value === name) ?? null;
}

const documents = new Map<string, DocumentNode | null>();

function parsed(query: string): DocumentNode | null {
  let document = documents.get(query);
  if (document === undefined) {
    try {
      document = parse(query);
    } catch {
      document = null;
    }
    // A few distinct upload documents are the rule; a client varying them gets no cache.
    if (documents.size >= 32) documents.clear();
    documents.set(query, document);
  }
  return document;
}

/** A field of an input object whose type is a scalar or enum, as coercion reads it. */
interface LeafField {
  name: string;
  required: boolean;
  type: GraphQLLeafType;
}

const leafFieldsOf = new WeakMap<GraphQLInputObjectType, LeafField[] | null>();

/**
 * The fields of `type` when each is a scalar or enum without a default value (nothing in a
 * line then needs more than its own value to coerce); else null.
 */
function leafFields(type: GraphQLInputObjectType): LeafField[] | null {
  let fields = leafFieldsOf.get(type);
  if (fields === undefined) {
    fields = [];
    for (const field of Object.values(type.getFields())) {
      const leaf = getNullableType(field.type);
      if (!isLeafType(leaf) || field.defaultValue !== undefined) {
        fields = null;
        break;
      }
      fields.push({ name: field.name, required: isNonNullType(field.type), type: leaf });
    }
    if (type.isOneOf) fields = null;
    leafFieldsOf.set(type, fields);
  }
  return fields;
}

/**
 * `value` coerced to the variable's type as graphql's getVariableValues coerces it, for the
 * one shape an upload has: a list of objects whose fields are scalars. Each field's value goes
 * through its scalar's own parseValue, as there; any line that graphql would refuse, or that
 * is not plainly that shape, gives null, and graphql's coercion reads the body instead. Five
 * times quicker than graphql's walk, which keeps a path and checks every type for each value.
 */
function coercedLines(
  schema: GraphQLSchema,
  definition: VariableDefinitionNode,
  value: unknown[],
): Record<string, unknown>[] | null {
  const list = getNullableType(typeFromAST(schema, definition.type));
  if (!isListType(list)) return null;
  const item: unknown = list.ofType;
  if (!isNonNullType(item) || !isInputObjectType(item.ofType)) return null;
  const type = item.ofType;
  const fields = leafFields(type);
  if (!fields) return null;
  const known = type.getFields();
  const lines = new Array<Record<string, unknown>>(value.length);
  for (let index = 0; index < value.length; index += 1) {
    const line = value[index];
    if (!isRecord(line)) return null;
    for (const key in line) if (!Object.hasOwn(known, key)) return null;
    const coerced: Record<string, unknown> = {};
    for (const field of fields) {
      const raw = line[field.name];
      if (raw === undefined || raw === null) {
        if (field.required) return null;
        if (raw === null) coerced[field.name] = null;
        continue;
      }
      let parsed: unknown;
      try {
        parsed = field.type.parseValue(raw);
      } catch {
        return null;
      }
      if (parsed === undefined) return null;
      coerced[field.name] = parsed;
    }
    lines[index] = coerced;
  }
  return lines;
}

/**
 * Reads an upload's JSON body as the gateway would, and when it runs recordSales with its
 * lines in a variable that coerces without an error, prepares those lines (`prepareSales`,
 * with the time limits of `now`). Anything else, including every body the gateway would
 * refuse, is left as it is: the gateway's own pipeline then reads it and words its refusal.
 */
export function readUploadBody(
  bytes: Uint8Array,
  schema: GraphQLSchema,
  times: IngestTimeRule,
  now: number,
): UploadReading {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString());
  } catch {
    return AS_IS;
  }
  if (!isRecord(body) || typeof body.query !== 'string' || !isRecord(body.variables)) return AS_IS;
  const { variables } = body;
  if (variablesProblem(variables) !== null) return AS_IS;
  const document = parsed(body.query);
  const definition = document && salesVariable(document, body.operationName);
  if (!definition) return AS_IS;
  const name = definition.variable.name.value;
  const value = variables[name];
  if (!Array.isArray(value)) return AS_IS;
  let lines: unknown = coercedLines(schema, definition, value);
  if (lines === null) {
    const coerced = getVariableValues(schema, [definition], { [name]: value });
    lines = coerced.coerced?.[name];
    if (coerced.errors || !Array.isArray(lines) || !lines.every(isRecord)) return AS_IS;
  }
  return {
    kind: 'prepared',
    params: { ...body, variables: { ...variables, [name]: [] } },
    sales: prepareSales(lines as unknown as SaleLine[], times, now),
  };
}
