import { Request, Response } from 'express';
import { ClientClosedRequestError } from './client-closed.error';

/**
 * A signal that aborts when the client closes the connection before the response is finished, so a client
 * that leaves stops the work: retrieval, generation and the model request upstream. `release` stops watching.
 */
export function abortWhenClientLeaves(req: Request, res: Response): { signal: AbortSignal; release(): void } {
  const client = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) client.abort(new ClientClosedRequestError());
  };
  res.on('close', onClose);
  // The client may already have gone while the request was being prepared.
  if (req.socket.destroyed) onClose();
  return { signal: client.signal, release: () => res.off('close', onClose) };
}
