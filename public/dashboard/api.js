// The dashboard's only way to data: its persisted documents, sent by hash to /graphql with the
// user's token, as a partner app would call the gateway. Nothing else is asked of the server.

const ENDPOINT = '/graphql';

/** An answer the dashboard cannot show: the API's message, its code and HTTP status. */
export class ApiError extends Error {
  constructor(message, code, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

function unauthenticated(status, errors) {
  return status === 401 || (errors ?? []).some((e) => e.extensions?.code === 'UNAUTHENTICATED');
}

/** The events of a Server-Sent Events body, as { event, data } with data parsed. */
async function* serverEvents(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, '\n');
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const lines = buffer.slice(0, end).split('\n');
      buffer = buffer.slice(end + 2);
      const event = lines
        .find((l) => l.startsWith('event:'))
        ?.slice(6)
        .trim();
      const data = lines
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      if (event) yield { event, data: data ? JSON.parse(data) : null };
    }
  }
}

const wait = (ms, signal) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * A client of the gateway for one token. `operations` maps the dashboard's operation names to
 * their hashes in the trusted manifest; `onUnauthenticated(message)` is told when the token is
 * refused (expired, revoked, its tenant disabled).
 */
export function createClient({ operations, token, onUnauthenticated }) {
  const body = (name, variables) => {
    const hash = operations[name];
    if (!hash) {
      throw new ApiError(
        `this gateway's trusted documents lack the dashboard's ${name}; run npm run manifest and deploy it`,
        'NO_DOCUMENT',
        0,
      );
    }
    return JSON.stringify({ documentId: `sha256:${hash}`, variables });
  };
  const headers = (accept) => ({
    'content-type': 'application/json',
    accept,
    authorization: `Bearer ${token}`,
  });

  /** Runs a query; resolves with its data, extensions and when it arrived. */
  async function query(name, variables = {}) {
    const response = await fetch(ENDPOINT, {
      method: 'POST',
      headers: headers('application/json'),
      body: body(name, variables),
    });
    const answer = await response.json().catch(() => null);
    if (unauthenticated(response.status, answer?.errors)) {
      const message = answer?.errors?.[0]?.message ?? 'the token was refused';
      onUnauthenticated(message);
      throw new ApiError(message, 'UNAUTHENTICATED', 401);
    }
    if (!answer || (answer.errors?.length ?? 0) > 0 || !answer.data) {
      const first = answer?.errors?.[0];
      throw new ApiError(
        answer?.errors?.map((e) => e.message).join('; ') ?? `HTTP ${response.status}`,
        first?.extensions?.code ?? 'HTTP',
        response.status,
      );
    }
    return { data: answer.data, extensions: answer.extensions ?? {}, receivedAt: new Date() };
  }

  /**
   * Follows a subscription over Server-Sent Events until `signal` aborts, reconnecting after a
   * dropped stream (1 s, doubling up to 30 s). `onNext(data)` gets each event's data;
   * `onState('live' | 'reconnecting' | 'ended', detail)` how the stream is.
   */
  async function subscribe(name, variables, { onNext, onState, signal }) {
    let delay = 1000;
    while (!signal.aborted) {
      try {
        const response = await fetch(ENDPOINT, {
          method: 'POST',
          headers: headers('text/event-stream'),
          body: body(name, variables),
          signal,
        });
        if (response.status === 401) {
          const answer = await response.json().catch(() => null);
          onUnauthenticated(answer?.errors?.[0]?.message ?? 'the token was refused');
          onState('ended', 'signed out');
          return;
        }
        const type = response.headers.get('content-type') ?? '';
        if (!response.ok || !type.includes('text/event-stream') || !response.body) {
          throw new ApiError(`no event stream (HTTP ${response.status})`, 'HTTP', response.status);
        }
        onState('live');
        delay = 1000;
        for await (const { event, data } of serverEvents(response.body)) {
          if (event === 'complete') break;
          if (event !== 'next' || !data) continue;
          if (unauthenticated(200, data.errors)) {
            onUnauthenticated(data.errors[0].message);
            onState('ended', data.errors[0].message);
            return;
          }
          if (data.data) onNext(data.data);
        }
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof ApiError && error.code === 'NO_DOCUMENT') {
          onState('ended', error.message);
          return;
        }
      }
      if (signal.aborted) return;
      onState('reconnecting', `again in ${delay / 1000} s`);
      await wait(delay, signal);
      delay = Math.min(delay * 2, 30_000);
    }
  }

  return { query, subscribe };
}
