import type { Socket } from 'node:net';

/**
 * Sends what a socket is given within one turn of the event loop as one write. amqplib writes each
 * frame on its own (a publish, an ack, a confirm); with `noDelay` each is a system call and a TCP
 * segment, which profiles showed to be the largest single cost of the engine's processes under
 * load. The socket is corked at the first write and uncorked once the event loop has run the
 * callbacks of the I/O it polled (`setImmediate`): under load one poll hands over many deliveries
 * and confirms, and what their handlers send goes out as one `writev`. No frame waits for more
 * I/O: pending immediates keep the loop from blocking in its next poll.
 */
export function coalesceWrites(socket: Socket): void {
  const write = socket.write.bind(socket);
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  const coalescing = (...args: unknown[]): boolean => {
    if (!corked) {
      corked = true;
      socket.cork();
      setImmediate(uncork);
    }
    return Reflect.apply(write, socket, args) as boolean;
  };
  socket.write = coalescing;
}
