/**
 * Whether `error` means PostgreSQL cannot take a request now — every pooled connection busy past the pool's
 * wait, the server unreachable, restarting, out of connections or taking no writes — rather than a fault of the
 * request or the code. The api answers these 503 `database_unavailable` with Retry-After, so clients back off
 * instead of reporting a bug, and the worker waits them out without spending a document's attempts. pg gives no
 * error classes for them: the pool's and client's own messages, the socket's codes and the server's SQLSTATEs
 * (class 08, connection_exception, among them) are what can be recognised.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (POOL_MESSAGES.has(error.message)) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  // 55000 (object_not_in_prerequisite_state) is mostly a fault of the statement; this one is the server's state.
  if (code === '55000') return NOT_ACCEPTING_CONNECTIONS.test(error.message);
  return UNAVAILABLE_CODES.has(code) || code.startsWith('08');
}

/** A database whose connections are refused for now (ALTER DATABASE … ALLOW_CONNECTIONS false, as during maintenance). */
const NOT_ACCEPTING_CONNECTIONS = /is not currently accepting connections/;

const POOL_MESSAGES = new Set([
  // pg-pool: no connection became free within connectionTimeoutMillis.
  'timeout exceeded when trying to connect',
  // pg-pool: a new connection did not finish its handshake within the pool's connectionTimeoutMillis.
  'Connection terminated due to connection timeout',
  // pg: the same, within a client's own connectionTimeoutMillis (a pool with a handshake bound of its own).
  'timeout expired',
  // pg: a statement got no answer within the pool's query_timeout (a frozen or unreachable server).
  'Query read timeout',
  // pg: the connection closed without a word from the server (a network cut, a server killed outright).
  'Connection terminated unexpectedly',
  // pg: a statement sent on a client whose connection had already failed (its backend ended while the client was
  // checked out but idle, say between BEGIN and the next statement): a 500 internal_error, and for the worker an
  // ingestion attempt spent, under pg_terminate_backend every 0.3 s.
  'Client has encountered a connection error and is not queryable',
]);

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  '53300', // too_many_connections
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown (another backend crashed and the server is resetting)
  '57P03', // cannot_connect_now (starting up or recovering)
  // read_only_sql_transaction: the server takes no writes (a standby, or the old primary during a failover, or
  // default_transaction_read_only). Every upload and deletion was a 500 internal_error.
  '25006',
]);

/**
 * Whether PostgreSQL cancelled the statement (SQLSTATE 57014, query_canceled): a statement_timeout ran out, as a
 * search's does (ChunksRepository.read's statementTimeoutMs), or someone cancelled its backend.
 */
export function isStatementCancelled(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === '57014';
}
