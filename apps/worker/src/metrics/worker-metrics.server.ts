import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { enableProcessMetrics, LOGGER, renderMetrics, workerRegistry } from '@app/observability';
import { refreshDataDirGauges } from '@app/storage';
import { Logger } from 'pino';

/**
 * The worker's internal Prometheus endpoint (`GET /metrics` on WORKER_METRICS_PORT): plain node:http, as
 * the worker serves no other HTTP and should not carry a web framework for one route. Keep the port off the
 * public network; it is for the scraper.
 */
@Injectable()
export class WorkerMetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private server: Server | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** The port actually bound (differs from WORKER_METRICS_PORT when that is 0), or null when not listening. */
  get port(): number | null {
    const address = this.server?.address();
    return address && typeof address === 'object' ? (address as AddressInfo).port : null;
  }

  async onApplicationBootstrap(): Promise<void> {
    enableProcessMetrics(workerRegistry);
    const server = createServer((req, res) => void this.handle(req, res));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.config.workerMetricsPort, () => resolve());
      });
    } catch (error) {
      // Several workers on one machine would collide on the default port. Metrics are not worth refusing to
      // ingest over, so the worker runs on and says, loudly, how to fix it.
      this.logger.error(
        { err: error, port: this.config.workerMetricsPort },
        'worker metrics endpoint not started: port unavailable (set WORKER_METRICS_PORT to a free port, or 0 for any)',
      );
      return;
    }
    this.server = server;
    this.logger.info({ port: this.port }, 'worker metrics on /metrics');
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found: the worker serves GET /metrics only.\n');
      return;
    }
    await refreshDataDirGauges(this.config.dataDir).catch((error: unknown) => this.logger.warn({ err: error }, "metrics: could not read DATA_DIR's free space"));
    try {
      const { contentType, body } = await renderMetrics(workerRegistry);
      res.writeHead(200, { 'Content-Type': contentType }).end(req.method === 'HEAD' ? undefined : body);
    } catch (error) {
      this.logger.error({ err: error }, 'rendering worker metrics failed');
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('metrics unavailable\n');
    }
  }
}
