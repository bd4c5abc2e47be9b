// Subscribes to alertRaised with graphql-sse, the client to use from a browser as well: unlike
// EventSource it sends the Authorization header (and a JSON POST, which needs no CSRF header).
// Run: GATEWAY_URL=http://localhost:4000 TOKEN=<analyst token> npx tsx examples/subscriber.ts
import { createClient } from 'graphql-sse';

export interface RaisedAlert {
  id: string;
  type: string;
  severity: string;
  message: string;
}

const ALERT_RAISED = `subscription AlertRaised($storeIds: [UUID!]) {
  alertRaised(storeIds: $storeIds) { id type severity message }
}`;

/** Calls `onAlert` for every alert raised in the token's tenant; returns a function that stops. */
export function subscribeToAlerts(
  url: string,
  token: string,
  onAlert: (alert: RaisedAlert) => void,
  onError: (error: unknown) => void = (error) => console.error(error),
): () => void {
  const client = createClient({
    url: `${url}/graphql`,
    headers: { authorization: `Bearer ${token}` },
  });
  const stop = client.subscribe<{ alertRaised: RaisedAlert }>(
    { query: ALERT_RAISED, variables: {} },
    {
      next: (result) => {
        if (result.data) onAlert(result.data.alertRaised);
      },
      error: onError,
      complete: () => undefined,
    },
  );
  return () => {
    stop();
    client.dispose();
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { GATEWAY_URL = 'http://localhost:4000', TOKEN = '' } = process.env;
  subscribeToAlerts(GATEWAY_URL, TOKEN, (alert) =>
    process.stdout.write(`${JSON.stringify(alert)}
`),
  );
}
