import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { GraphiQLOptions, Plugin } from 'graphql-yoga';

/** Where the page loads GraphiQL's scripts and styles from: this server, never a CDN. */
export const GRAPHIQL_ASSETS_PATH = '/graphiql/assets/';

// The files of @graphql-yoga/graphiql's build that the page loads, and their types.
const ASSETS: Record<string, string> = {
  'graphiql.css': 'text/css; charset=utf-8',
  'yoga-graphiql.umd.js': 'text/javascript; charset=utf-8',
  'monacoeditorwork/editor.worker.bundle.js': 'text/javascript; charset=utf-8',
  'monacoeditorwork/json.worker.bundle.js': 'text/javascript; charset=utf-8',
  'monacoeditorwork/graphql.worker..bundle.js': 'text/javascript; charset=utf-8',
};

const distDir = join(
  dirname(createRequire(import.meta.url).resolve('@graphql-yoga/graphiql/package.json')),
  'dist',
);

// An inline icon: the default one is fetched from GitHub.
const FAVICON =
  'data:image/svg+xml,%3Csvg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"%3E%3Crect width="16" height="16" rx="3" fill="%23e10098"/%3E%3C/svg%3E';

const DAY_MS = 86_400_000;

/** The example operations GraphiQL opens with, one per tab, with variables for recent data. */
function exampleTabs(now: Date, token: string | undefined) {
  const today = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
  const headers = JSON.stringify(token ? { Authorization: `Bearer ${token}` } : {}, null, 2);
  const json = (value: unknown) => JSON.stringify(value, null, 2);
  return [
    {
      query: `# Daily units and revenue per store over the last 14 days.
query SalesTrend($range: TimeRange!) {
  salesTrend(range: $range, granularity: DAY, groupBy: [STORE]) {
    bucket
    store { code name }
    units
    revenue
    transactions
  }
}`,
      variables: json({
        range: {
          from: new Date(today.getTime() - 14 * DAY_MS).toISOString(),
          to: today.toISOString(),
        },
      }),
      headers,
    },
    {
      query: `# Daily revenue of the last 28 days against the same weekdays a year before.
query RevenueVsLastYear($range: TimeRange!) {
  salesTrend(range: $range, granularity: DAY, fillGaps: true,
             compareTo: PREVIOUS_YEAR_SAME_WEEKDAY) {
    bucket
    revenue
    compared { revenue }
    change { revenue revenueRatio }
  }
}`,
      variables: json({
        range: {
          from: new Date(today.getTime() - 28 * DAY_MS).toISOString(),
          to: today.toISOString(),
        },
      }),
      headers,
    },
    {
      query: `# The 5 best-selling products of the last 30 days by revenue, each with its share,
# the rest as one "other" row, and the total (rows + other = total).
query TopProductsWithOther($range: TimeRange!) {
  ranking(range: $range, dimension: PRODUCT, by: REVENUE, first: 5, other: true) {
    rows { rank product { sku name } revenue units share }
    other { revenue units share }
    total { revenue units }
  }
}`,
      variables: json({
        range: {
          from: new Date(today.getTime() - 30 * DAY_MS).toISOString(),
          to: today.toISOString(),
        },
      }),
      headers,
    },
    {
      query: `# Positions whose available stock is below their reorder point.
query BelowReorderPoint {
  latestInventory(belowReorderPoint: true, first: 20) {
    edges {
      node {
        store { code }
        product { sku name }
        available
        reorderPoint
        daysOfCover
      }
    }
  }
}`,
      variables: '{}',
      headers,
    },
    {
      query: `# Alerts nobody has acknowledged yet, newest first.
query OpenAlerts {
  alerts(status: [OPEN], first: 20) {
    edges {
      node { createdAt severity type message store { code } product { sku } }
    }
  }
}`,
      variables: '{}',
      headers,
    },
  ];
}

/**
 * GraphiQL's options: this API's examples in tabs, and the demo token, when there is one, in
 * the headers.
 */
export function graphiqlOptions(now: Date, token: string | undefined): GraphiQLOptions {
  const tabs = exampleTabs(now, token);
  const headers = JSON.stringify(token ? { Authorization: `Bearer ${token}` } : {});
  return {
    title: 'ShelfOps Gateway',
    defaultTabs: tabs,
    ...(token ? { headers, defaultHeaders: headers } : {}),
  };
}

/** The GraphiQL page, loading every asset from this server. */
export function renderGraphiQL(options: GraphiQLOptions): string {
  const asset = (file: string) => `${GRAPHIQL_ASSETS_PATH}${file}`;
  const workers = {
    editorWorkerService: asset('monacoeditorwork/editor.worker.bundle.js'),
    json: asset('monacoeditorwork/json.worker.bundle.js'),
    graphql: asset('monacoeditorwork/graphql.worker..bundle.js'),
  };
  // `<` escaped so no value can close the script element.
  const script = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');
  const title = (options.title ?? 'GraphiQL').replace(/[<>&"]/g, '');
  // Yoga's page opens its first tab on `query` and `variables`, not on the first default tab.
  const first = options.defaultTabs?.[0];
  const pageOptions = {
    ...options,
    favicon: FAVICON,
    ...(first ? { query: first.query, variables: first.variables } : {}),
  };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${title}</title>
<link rel="icon" href='${FAVICON}'>
<link rel="stylesheet" href="${asset('graphiql.css')}">
</head>
<body id="body" class="no-focus-outline">
<div id="root">Loading ${title}…</div>
<script>
const workerUrls = ${script(workers)};
const workers = {};
// Monaco starts its workers from blob URLs of the scripts, fetched from this server.
const prepareWorkers = () => Promise.all(Object.entries(workerUrls).map(async ([name, url]) => {
  const text = await (await fetch(url)).text();
  workers[name] = URL.createObjectURL(new Blob([text], { type: 'application/javascript' }));
}));
self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (_id, label) => workers[label] };
</script>
<script src="${asset('yoga-graphiql.umd.js')}"></script>
<script>
prepareWorkers().finally(() => YogaGraphiQL.renderYogaGraphiQL(root, ${script(pageOptions)}));
</script>
</body>
</html>`;
}

/** Serves GraphiQL's build from node_modules under GRAPHIQL_ASSETS_PATH. */
export function useGraphiQLAssets(): Plugin {
  return {
    async onRequest({ url, endResponse, fetchAPI }) {
      if (!url.pathname.startsWith(GRAPHIQL_ASSETS_PATH)) return;
      const file = url.pathname.slice(GRAPHIQL_ASSETS_PATH.length);
      const type = ASSETS[file];
      if (!type) {
        endResponse(new fetchAPI.Response('not found', { status: 404 }));
        return;
      }
      const body = await readFile(join(distDir, file));
      endResponse(
        new fetchAPI.Response(body, {
          headers: { 'content-type': type, 'cache-control': 'public, max-age=86400' },
        }),
      );
    },
  };
}
