import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * A gateway started as `npm start` starts it (tsx running src/main.ts), in one process so that
 * its own exit code and signal handling are what the test sees.
 */
export interface GatewayProcess {
  url: string;
  output(): string;
  /** Tokens printed for each demo tenant, by customer id and role. */
  tokens: Map<string, Record<string, string>>;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Kills it and everything it started (SIGKILL, no chance to clean up); resolves once gone. */
  kill(): Promise<void>;
}

function parseTokens(text: string): Map<string, Record<string, string>> {
  const tokens = new Map<string, Record<string, string>>();
  let tenant: Record<string, string> | null = null;
  for (const line of text.split('\n')) {
    const header = /\(customer_id ([0-9a-f-]{36})\)$/.exec(line);
    if (header?.[1]) {
      tenant = {};
      tokens.set(header[1], tenant);
      continue;
    }
    const token = /^ {2}(analyst|admin|partner) +(\S+)$/.exec(line);
    if (token?.[1] && token[2] && tenant) tenant[token[1]] = token[2];
    else if (line.trim() === '') tenant = null;
  }
  return tokens;
}

/** A TCP port free on the loopback interface right now (PORT=0 is not a valid setting). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts the gateway and waits until it prints where GraphiQL is (or fails/exits). */
export async function startGatewayProcess(
  env: Record<string, string>,
  timeoutMs = 90_000,
): Promise<GatewayProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so a forced stop takes everything it started with it.
    detached: true,
  });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const signal = (name: NodeJS.Signals) => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      if (name === 'SIGKILL') process.kill(-child.pid, name);
      else child.kill(name);
    } catch {
      // Already gone.
    }
  };
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      signal('SIGKILL');
      reject(new Error(`the gateway did not print its URL in ${timeoutMs} ms:\n${text}`));
    }, timeoutMs);
    const check = setInterval(() => {
      const match = /GraphiQL: +(http:\/\/\S+)\/graphql/.exec(text);
      const complete = /partners may run|No demo tokens|No HS256 secret/i.test(text);
      if (match?.[1] && complete) {
        clearTimeout(timer);
        clearInterval(check);
        resolve(match[1]);
      }
    }, 50);
    void exited.then((code) => {
      clearTimeout(timer);
      clearInterval(check);
      reject(new Error(`the gateway exited with ${code} before it was ready:\n${text}`));
    });
  });
  return {
    url,
    output: () => text,
    tokens: parseTokens(text),
    async stop() {
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      signal('SIGKILL');
      await exited;
    },
  };
}
