import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** Stops a server the way a rolling deploy needs: no new work, in-flight work finished. */
export interface Drainer {
  /** Requests whose response has not been sent (or abandoned) yet. */
  inFlight(): number;
  /**
   * Stops accepting connections, closes idle keep-alive connections at once and every other
   * connection as soon as its response is out, and resolves once no request is in flight. After
   * `timeoutMs` the remaining connections are closed; resolves with how many requests were cut.
   */
  drain(timeoutMs: number): Promise<number>;
}

/** Counts the requests of `server` from now on, so that a stop can wait for exactly them. */
export function drainable(server: Server): Drainer {
  let inFlight = 0;
  let draining = false;
  let settle: (() => void) | null = null;
  const responses = new Set<ServerResponse>();

  server.on('request', (_request: IncomingMessage, response: ServerResponse) => {
    inFlight += 1;
    responses.add(response);
    // A request that arrives on a kept-alive connection during the drain is served, and its
    // connection closed after the response.
    if (draining) response.shouldKeepAlive = false;
    response.once('close', () => {
      inFlight -= 1;
      responses.delete(response);
      if (!draining) return;
      // The connection becomes idle only once the response is fully detached from it.
      setImmediate(() => server.closeIdleConnections());
      if (inFlight === 0) settle?.();
    });
  });

  return {
    inFlight: () => inFlight,
    async drain(timeoutMs) {
      draining = true;
      // Responses still to be written say `Connection: close`: their clients then open a new
      // connection for the next request (refused, so a load balancer sends it elsewhere)
      // rather than send it on a socket that is closed under it (ECONNRESET).
      for (const response of responses) {
        if (!response.headersSent) response.shouldKeepAlive = false;
      }
      server.close();
      server.closeIdleConnections();
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          settle = resolve;
          setTimeout(resolve, timeoutMs).unref();
        });
      }
      const cut = inFlight;
      server.closeAllConnections();
      return cut;
    },
  };
}
