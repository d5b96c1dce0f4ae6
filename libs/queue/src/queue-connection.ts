import Redis, { RedisOptions } from 'ioredis';

/** The process's QueueConnection, for whoever must drop it (QueueModule on shutdown, WorkerDrain at its deadline). */
export const QUEUE_CONNECTION = Symbol('QUEUE_CONNECTION');

/** What ioredis 5 keeps private and its own fix in 6.1 uses to end a client. */
interface ClientInternals {
  manuallyClosing: boolean;
  setStatus(status: 'end'): void;
  flushQueue(error: Error): void;
}

/**
 * The Redis connection BullMQ's queues and workers share in one process; a worker's blocking connection is a
 * duplicate of it (hence `duplicate`).
 *
 * ioredis 5 never ends a client that is told to disconnect while it waits to reconnect: its socket is gone, so no
 * 'close' comes to turn into 'end'. BullMQ's Worker.close() disconnects the worker's blocking connection and waits
 * for that 'end' (taskforcesh/bullmq#4656, open in BullMQ 5 and 6), so a worker stopped while Redis was down, or in
 * the seconds after it came back and before its blocking connection had, never exited. ioredis 6.1 ends such a client
 * at once; BullMQ 5 pins ioredis 5.11 (and 6 speaks RESP3, which BullMQ 5's scripts were not written for), so this
 * does what 6.1 does: the client ends and the commands it still held fail.
 */
export class QueueConnection extends Redis {
  override disconnect(reconnect = false): void {
    const waitingToReconnect = !reconnect && this.status === 'reconnecting';
    super.disconnect(reconnect);
    if (!waitingToReconnect) return;
    const client = this as unknown as ClientInternals;
    client.manuallyClosing = false;
    client.setStatus('end');
    client.flushQueue(new Error('Connection is closed.'));
  }

  override duplicate(override?: Partial<RedisOptions>): QueueConnection {
    return new QueueConnection({ ...this.options, ...override });
  }
}
