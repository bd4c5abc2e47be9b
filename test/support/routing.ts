import {
  isNonNullType,
  Kind,
  parse,
  parseValue,
  typeFromAST,
  valueFromAST,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import type pg from 'pg';
import type { Pool } from '../../src/db/pool.js';
import { SET_CONTEXT } from '../../src/db/request-db.js';
import { inputLiteral, type ArgumentValues } from './access-isolation.js';

/** A statement a gateway's connection sent, with the request context it ran under. */
export interface SentStatement {
  /** Its name (the leading comment), or its first words when it has none. */
  name: string;
  text: string;
  values: unknown[];
  /** The request's call of app.set_request_context (a statement); null outside a request. */
  context: string | null;
}

const TRANSACTION_CONTROL = /^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|EXPLAIN)\b/i;

/** The name of a statement: its leading comment, or its first words. */
function statementName(text: string): string {
  return /^\s*\/\* (\w+) \*\//.exec(text)?.[1] ?? text.trim().replace(/\s+/g, ' ').slice(0, 60);
}

/**
 * Records every statement the pool's connections send (transaction control and the request
 * context itself left out), each with the request context of its transaction.
 */
export function recordStatements(pool: Pool): SentStatement[] {
  const sent: SentStatement[] = [];
  const wrapped = new WeakSet<object>();
  pool.on('acquire', (client: pg.PoolClient) => {
    if (wrapped.has(client)) return;
    wrapped.add(client);
    let context: string | null = null;
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
      const config = args[0] as string | { text: string; values?: unknown[] };
      const text = typeof config === 'string' ? config : config.text;
      const values =
        (typeof config === 'string' ? (args[1] as unknown[] | undefined) : config.values) ?? [];
      // A request's transaction opens with its BEGIN and its context in one statement.
      const opening = text.indexOf(SET_CONTEXT);
      if (opening !== -1) context = text.slice(opening);
      else if (/^\s*(COMMIT|ROLLBACK)\s*$/i.test(text)) context = null;
      else if (!TRANSACTION_CONTROL.test(text)) {
        sent.push({ name: statementName(text), text, values, context });
      }
      return query(...args);
    };
  });
  return sent;
}

/**
 * Variables for a document's variable definitions, named as the generated operations name
 * their arguments (ids, filters, the range; a `…Range` variable gets the range too).
 */
export function variablesFor(
  schema: GraphQLSchema,
  document: string,
  values: ArgumentValues,
): Record<string, unknown> {
  const operation = parse(document).definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (operation?.kind !== Kind.OPERATION_DEFINITION) return {};
  const owner = operation.name?.value ?? '';
  const variables: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    const type = typeFromAST(schema, definition.type) as GraphQLInputType | undefined;
    if (!type) continue;
    const name = definition.variable.name.value;
    const argument = /Range$/.test(name) ? 'range' : name;
    const required = isNonNullType(type) && definition.defaultValue === undefined;
    const literal = inputLiteral(argument, type, owner, values, required);
    if (literal !== null) variables[name] = valueFromAST(parseValue(literal), type);
  }
  return variables;
}

/** How Citus plans and runs one statement. */
export interface StatementRouting {
  /** The plan's task counts (one entry per Citus scan and subplan). */
  tasks: number[];
  /**
   * The shards of distributed tables its run touched, as their shard groups (a tenant's rows
   * of every table are in one group); reference tables' shards are not counted.
   */
  shardGroups: string[];
  /** The plan's text, and the error of a plan or run that failed, for the failure message. */
  plan: string;
}

/** Shard id → its shard group (the hash range), for the shards of distributed tables. */
export async function shardGroupsOf(owner: Pool): Promise<Map<string, string>> {
  const { rows } = await owner.query<{ shard: string; group: string }>(
    `SELECT s.shardid::text AS shard, s.shardminvalue AS group
     FROM pg_dist_shard s JOIN pg_dist_partition p USING (logicalrelid)
     WHERE p.partmethod = 'h'`,
  );
  return new Map(rows.map((r) => [r.shard, r.group]));
}

/**
 * EXPLAINs a statement on the coordinator with its values, then runs it, under its request
 * context (the same app.set_request_context, so the same tenant, role and scope), in a
 * transaction that is rolled back; the commands the coordinator sends to the workers name the
 * shards the run touched (citus.log_remote_commands).
 */
export async function routingOf(
  owner: Pool,
  groups: Map<string, string>,
  s: SentStatement,
): Promise<StatementRouting> {
  const client = await owner.connect();
  const remote: string[] = [];
  const onNotice = (notice: { message?: string }) => {
    if (notice.message?.startsWith('issuing ')) remote.push(notice.message);
  };
  client.on('notice', onNotice);
  let plan = '';
  try {
    await client.query('BEGIN');
    if (s.context) await client.query(s.context);
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${s.text}`, s.values);
    plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    await client.query('SET LOCAL citus.log_remote_commands = on');
    // A write replayed alone, without the statements before it in its request, may break a
    // constraint (class 23) on its shard: the commands sent up to then still name the shard.
    await client.query(s.text, s.values).catch((error: { code?: string }) => {
      if (!error.code?.startsWith('23')) throw error;
    });
  } catch (error) {
    plan += `\nfailed: ${String(error)}`;
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    client.off('notice', onNotice);
    client.release();
  }
  const touched = new Set<string>();
  for (const command of remote) {
    for (const [, shard] of command.matchAll(/\w_(\d{6,})\b/g)) {
      const group = groups.get(shard ?? '');
      if (group !== undefined) touched.add(group);
    }
  }
  return {
    tasks: [...plan.matchAll(/Task Count: (\d+)/g)].map((m) => Number(m[1])),
    shardGroups: [...touched],
    plan,
  };
}
