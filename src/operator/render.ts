import type { OperatorReport } from './desk.js';

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** Bytes as PostgreSQL's pg_size_pretty writes them (1024-based). */
export function prettyBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 10_240 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${Math.round(value)} ${UNITS[unit]}`;
}

function table(header: string[], rows: (string | number | null)[][]): string[] {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === null ? '-' : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => `  ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd());
}

interface PlanNode {
  'Node Type'?: string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Total Cost'?: number;
  'Plan Rows'?: number;
  Plans?: PlanNode[];
}

/** A plan (EXPLAIN FORMAT JSON) as indented lines: node, relation or index, cost, rows. */
export function planLines(plan: unknown, limit = 12): string[] {
  const root = (Array.isArray(plan) ? (plan[0] as { Plan?: PlanNode })?.Plan : null) ?? null;
  const lines: string[] = [];
  const walk = (node: PlanNode, depth: number) => {
    if (lines.length >= limit) return;
    const on = node['Index Name']
      ? ` using ${node['Index Name']} on ${node['Relation Name'] ?? '?'}`
      : node['Relation Name']
        ? ` on ${node['Relation Name']}`
        : '';
    lines.push(
      `${'  '.repeat(depth)}-> ${node['Node Type'] ?? '?'}${on} (cost ${node['Total Cost'] ?? '?'}, rows ${node['Plan Rows'] ?? '?'})`,
    );
    for (const child of node.Plans ?? []) walk(child, depth + 1);
  };
  if (root) walk(root, 0);
  return lines;
}

const oneLine = (text: string, max = 120) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** The report as `npm run doctor` prints it. */
export function renderReport(report: OperatorReport): string {
  const { database: db, gateway } = report;
  const out: string[] = [
    `ShelfOps doctor, ${report.generatedAt}`,
    `database: ${db.backend}${db.timescaledb ? ` (TimescaleDB ${db.timescaledb})` : ' (plain PostgreSQL)'}, statistics since ${db.statsSince} (${db.statsCoverDays} days)`,
    '',
    `Active statements (${db.active.length})`,
    ...(db.active.length
      ? table(
          ['pid', 'ms', 'tenant', 'operation', 'state', 'statement'],
          db.active.map((a) => [
            a.pid,
            a.durationMs,
            a.customerId,
            a.operation,
            a.state,
            oneLine(a.query, 80),
          ]),
        )
      : ['  none']),
    '',
    `Slowest operations since start (this gateway)`,
    ...(gateway.slowestOperations.length
      ? table(
          ['operation', 'count', 'p50 ms', 'p95 ms', 'max ms'],
          gateway.slowestOperations.map((o) => [o.operation, o.count, o.p50Ms, o.p95Ms, o.maxMs]),
        )
      : ['  none yet (no gateway answered, or it has served nothing)']),
  ];
  if (db.statements) {
    out.push(
      '',
      'Statements by total time (pg_stat_statements)',
      ...table(
        ['calls', 'total ms', 'mean ms', 'max ms', 'statement'],
        db.statements.map((s) => [s.calls, s.totalMs, s.meanMs, s.maxMs, oneLine(s.query, 80)]),
      ),
    );
  }
  out.push('', `Slow statements (>= ${gateway.slowQueryMs} ms): ${gateway.slowStatementsTotal}`);
  for (const s of gateway.slowStatements.slice(0, 10)) {
    out.push(
      `  ${s.at} ${s.durationMs} ms ${s.operation} tenant ${s.customerId}${s.errorCode ? ` failed ${s.errorCode}` : ''}`,
      `    ${oneLine(s.text)}`,
      ...planLines(s.plan).map((line) => `    ${line}`),
    );
  }
  out.push(
    '',
    `Unused indexes (${db.unusedIndexes.length})${
      db.unusedIndexes.some((i) => i.seasonal)
        ? `: statistics cover ${db.statsCoverDays} days, a monthly or seasonal query may not have run yet`
        : ''
    }`,
    ...(db.unusedIndexes.length
      ? table(
          ['index', 'table', 'size'],
          db.unusedIndexes.map((i) => [i.index, i.table, prettyBytes(i.bytes)]),
        )
      : ['  none']),
    '',
    'Sizes',
    ...table(
      ['kind', 'relation', 'size', 'chunks', 'compressed', 'ratio'],
      db.sizes.map((s) => [
        s.kind,
        s.name,
        prettyBytes(s.bytes),
        s.chunks,
        s.compressedChunks,
        s.compressionRatio === null ? null : `${s.compressionRatio}x`,
      ]),
    ),
    '',
    `Rollups: ${db.rollupLag.staleRanges} stale range(s)${
      db.rollupLag.oldestStaleAt ? ` since ${db.rollupLag.oldestStaleAt}` : ''
    }, newest line ${db.rollupLag.newestLineAt ?? 'none'}, last refresh ${
      db.rollupLag.lastRefreshAt ?? 'never'
    }${db.rollupLag.lastRefreshError ? `, failing: ${db.rollupLag.lastRefreshError}` : ''}`,
  );
  const { upkeep } = report;
  if (upkeep.jobs.length) {
    out.push(
      `Jobs (TimescaleDB's; ${upkeep.mode === 'jobs' ? 'its job runner does the upkeep' : 'paused: the gateway does the upkeep'})`,
      ...table(
        ['id', 'job', 'every', 'state', 'last run', 'work done', 'next start', 'failures'],
        upkeep.jobs.map((j) => [
          j.jobId,
          j.name,
          j.schedule,
          j.scheduled ? 'scheduled' : 'paused',
          j.outcome,
          j.lastDoneAt,
          j.nextStart,
          j.totalFailures,
        ]),
      ),
    );
  }
  out.push(
    '',
    'Tenants',
    ...table(
      ['tenant', 'name', 'lines', 'bytes', '+7d', '+30d', 'retention', 'req/h', 'db ms/h'],
      report.tenants.map((t) => [
        t.customerId,
        oneLine(t.name, 30),
        t.lines,
        prettyBytes(t.bytes),
        t.lines7d,
        t.lines30d,
        t.retention,
        t.requestsLastHour,
        t.databaseMsLastHour,
      ]),
    ),
  );
  return `${out.join('\n')}\n`;
}
