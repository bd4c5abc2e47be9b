// A dashboard on Apollo Client with automatic persisted queries: each query goes out as its
// SHA-256 alone; on PersistedQueryNotFound Apollo sends the text once and the gateway keeps it.
// Run: GATEWAY_URL=… TOKEN=<analyst token> npx tsx examples/dashboard.ts
import { createHash } from 'node:crypto';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';

const DAILY_TREND = gql`
  query DashboardTrend($range: TimeRange!) {
    salesTrend(range: $range, granularity: DAY, groupBy: [STORE]) {
      bucket
      store {
        id
        code
      }
      units
      revenue
    }
  }
`;

export interface TrendPoint {
  bucket: string;
  store: { id: string; code: string } | null;
  units: string;
  revenue: string;
}

/**
 * An Apollo Client for the gateway that sends hashes first (automatic persisted queries);
 * `fetchImpl` lets a caller watch the requests.
 */
export function dashboardClient(
  url: string,
  token: string,
  fetchImpl: typeof fetch = fetch,
): ApolloClient {
  const persisted = new PersistedQueryLink({
    sha256: (query: string) => createHash('sha256').update(query, 'utf8').digest('hex'),
  });
  const http = new HttpLink({
    uri: `${url}/graphql`,
    headers: { authorization: `Bearer ${token}` },
    fetch: fetchImpl,
  });
  return new ApolloClient({ link: persisted.concat(http), cache: new InMemoryCache() });
}

/** The daily trend by store over `[from, to)`. */
export async function dailyTrend(
  client: ApolloClient,
  from: Date,
  to: Date,
): Promise<TrendPoint[]> {
  const result = await client.query<{ salesTrend: TrendPoint[] }>({
    query: DAILY_TREND,
    variables: { range: { from: from.toISOString(), to: to.toISOString() } },
    fetchPolicy: 'network-only',
  });
  return result.data?.salesTrend ?? [];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { GATEWAY_URL = 'http://localhost:4000', TOKEN = '' } = process.env;
  const to = new Date();
  const points = await dailyTrend(
    dashboardClient(GATEWAY_URL, TOKEN),
    new Date(to.getTime() - 14 * 86_400_000),
    to,
  );
  process.stdout.write(`${JSON.stringify(points, null, 2)}\n`);
}
