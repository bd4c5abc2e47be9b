import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Closes an idle kept-alive connection only after a grace as long again as the keep-alive
 * timeout, and never while the first bytes of its next request wait to be read.
 *
 * Node closes a connection from its idle timer, one second after the `Keep-Alive: timeout=5`
 * it advertises; a client (undici) stops reusing it a second before. Two things then cut a
 * request the client was entitled to send on it:
 * - this process's event loop was busy for longer than that (a long statement of the embedded
 *   database runs in this thread; a process starved of CPU): once free, the loop runs the
 *   timers before it reads the request already waiting on the socket, and the client gets
 *   ECONNRESET;
 * - the client's own loop ran more than those two seconds late between reading an answer and
 *   sending its next request on the connection: it hears "other side closed".
 * A `'timeout'` listener on the server takes the decision from Node: the first time the timer
 * fires, the connection gets the grace (the I/O of this turn, a request among it, is read
 * before it ends); when it fires again with no byte read since, the connection is closed.
 * A request that arrives clears the timer, as Node does, and its answer starts a new idle span.
 */
export function closeIdleConnectionsAfterGrace(server: Server): void {
  const graceFrom = new WeakMap<Socket, number>();
  server.on('timeout', (socket: Socket) => {
    if (graceFrom.get(socket) === socket.bytesRead) {
      socket.destroy();
      return;
    }
    graceFrom.set(socket, socket.bytesRead);
    socket.setTimeout(server.keepAliveTimeout);
  });
}
