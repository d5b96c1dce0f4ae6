import { AppError } from '@app/errors';

/** The client went away before the answer was complete (nginx's 499); nobody is left to read a response. */
export class ClientClosedRequestError extends AppError {
  constructor() {
    super('client_closed_request', 'The client closed the connection before the answer was complete.', 499);
  }
}
