import type { TestGateway } from './gateway.js';

/** One Server-Sent Event: its type (`next`, `complete`) and its data, parsed. */
export interface StreamEvent {
  event: string;
  data: unknown;
}

/** An open GraphQL over SSE stream, collecting every event it receives. */
export interface EventStream {
  events: StreamEvent[];
  /** Resolves when the server ends the stream; with the time it ended. */
  ended: Promise<number>;
  close(): void;
}

/** POSTs a subscription with Accept: text/event-stream and reads its events as they come. */
export async function openEventStream(
  gw: TestGateway,
  token: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<EventStream> {
  const controller = new AbortController();
  const response = await fetch(`${gw.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ query, variables }),
    signal: controller.signal,
  });
  const type = response.headers.get('content-type') ?? '';
  if (response.status !== 200 || !type.includes('text/event-stream') || !response.body) {
    throw new Error(`no event stream: ${response.status} ${type} ${await response.text()}`);
  }
  const events: StreamEvent[] = [];
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const ended = (async () => {
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return performance.now();
      buffer += value;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const lines = buffer.slice(0, end).split('\n');
        buffer = buffer.slice(end + 2);
        const event = lines
          .find((l) => l.startsWith('event:'))
          ?.slice(6)
          .trim();
        const data = lines
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trim())
          .join('');
        if (event) events.push({ event, data: data ? JSON.parse(data) : null });
      }
    }
  })();
  // A stream the test closes ends with an abort, not an answer.
  ended.catch(() => undefined);
  return { events, ended, close: () => controller.abort() };
}
