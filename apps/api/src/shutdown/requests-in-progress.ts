import { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { finalize, Observable } from 'rxjs';

/**
 * Counts the route handlers running, for the drain (DrainingExpressAdapter). A handler settles once its request's
 * work is done or undone: an upload whose client is cut off first removes what it staged. A closed connection says
 * neither: it closes at once, while that clean-up is still under way.
 */
export class RequestsInProgress implements NestInterceptor {
  private running = 0;

  get count(): number {
    return this.running;
  }

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    this.running++;
    return next.handle().pipe(finalize(() => this.running--));
  }
}
