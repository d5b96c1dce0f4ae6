import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AppConfig } from '@app/config';
import { ChunksRepository } from '@app/database';
import { EMBEDDING_PROVIDER, EmbeddingProvider } from '@app/embeddings';
import { createAppLogger, PinoNestLogger } from '@app/observability';
import { AppModule } from './app.module';
import { createValidationPipe } from './errors/validation';
import { serveOpenApi } from './openapi/openapi-document';
import { guardClientConnections } from './security/client-connections';
import { applyHttpHardening } from './security/http-hardening';
import { explainUndecompressableBodies, JSON_BODY_LIMIT, refuseBodiesNotJson } from './security/json-bodies';
import { answerUnparsableRequests } from './security/unparsable-requests';
import { refuseDeepJson } from './security/json-depth';
import { RefuseNulCharacters } from './security/nul-characters';
import { RefuseRepeatedQueryParameters } from './security/repeated-query-parameters';
import { DrainingExpressAdapter } from './shutdown/draining-express-adapter';
import { RequestsInProgress } from './shutdown/requests-in-progress';


/** Builds the HTTP app (not yet listening): used by main.ts and by the e2e tests alike. */
export async function createApiApp(config: AppConfig): Promise<INestApplication> {
  const logger = createAppLogger(config, 'api');
  const requests = new RequestsInProgress();
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), new DrainingExpressAdapter(requests, config.drainTimeoutMs, logger), {
    logger: new PinoNestLogger(logger),
    bodyParser: false,
  });
  app.useGlobalInterceptors(requests);
  applyHttpHardening(app, config);
  // Nest's option type leaves out body-parser's `verify` (it sets it itself, for rawBody only), but passes it on.
  const jsonOptions = { limit: JSON_BODY_LIMIT, verify: refuseDeepJson };
  app.use(refuseBodiesNotJson);
  app.useBodyParser('json', jsonOptions);
  app.use(explainUndecompressableBodies);
  guardClientConnections(app.getHttpServer(), config.clientIdleTimeoutMs);
  answerUnparsableRequests(app.getHttpServer());
  app.useGlobalPipes(new RefuseNulCharacters(), new RefuseRepeatedQueryParameters(), createValidationPipe());
  app.disable('x-powered-by');
  // req.ip, by which failed authentications are limited, is the socket's peer unless TRUST_PROXY names proxies.
  app.set('trust proxy', config.security.trustProxy);
  app.enableShutdownHooks();

  const embedder = app.get<EmbeddingProvider>(EMBEDDING_PROVIDER);
  await app.get(ChunksRepository).ensureVectorIndex(embedder.dimension);

  serveOpenApi(app);
  return app;
}
