import { connect, type Socket } from 'node:net';

/** Whether a Docker engine answers, and how it was reached (or why not). */
export interface DockerEngine {
  reachable: boolean;
  detail: string;
}

function socketTarget(): { path: string } | { host: string; port: number } | null {
  const host = process.env.DOCKER_HOST;
  if (!host) return { path: '/var/run/docker.sock' };
  if (host.startsWith('unix://')) return { path: host.slice('unix://'.length) };
  const tcp = /^tcp:\/\/([^:/]+):(\d+)/.exec(host);
  if (tcp?.[1] && tcp[2]) return { host: tcp[1], port: Number(tcp[2]) };
  return null;
}

/**
 * Pings the Docker engine (`GET /_ping`) within `timeoutMs`, so a suite can skip quickly and
 * visibly where there is none instead of waiting on Testcontainers' own discovery.
 */
export function findDockerEngine(timeoutMs = 1_500): Promise<DockerEngine> {
  const target = socketTarget();
  if (target === null) {
    return Promise.resolve({
      reachable: false,
      detail: `unsupported DOCKER_HOST ${process.env.DOCKER_HOST}`,
    });
  }
  const where = 'path' in target ? target.path : `${target.host}:${target.port}`;
  return new Promise((resolve) => {
    let answer = '';
    const socket: Socket = connect(target);
    const done = (result: DockerEngine) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () => done({ reachable: false, detail: `${where} did not answer` }),
      timeoutMs,
    );
    socket.once('error', (error) =>
      done({ reachable: false, detail: `${where}: ${error.message}` }),
    );
    socket.on('connect', () => socket.write('GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n'));
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString();
      if (/\r\n\r\nOK/.test(answer)) done({ reachable: true, detail: where });
    });
    socket.once('end', () =>
      done({
        reachable: /\r\n\r\nOK/.test(answer),
        detail: `${where} answered ${answer.split('\r\n')[0] ?? ''}`,
      }),
    );
  });
}
