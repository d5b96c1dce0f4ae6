const dependencyTile = (key: string, name: string) => `
      <div class="dep" data-dep="${key}" data-status="unknown">
        <span class="dot"></span><span class="name">${name}</span>
        <span class="state">checking</span>
        <span class="detail">&nbsp;</span>
      </div>`;

const countTile = (key: string, label: string) => `
      <div class="count" data-count="${key}"><div class="value">&ndash;</div><div class="label">${label}</div></div>`;

/** The dashboard's static markup; the script fills it in. Every element it updates exists from the start. */
export const DASHBOARD_MARKUP = `
<header>
  <h1>Groundwork <span>admin</span></h1>
  <div class="status-line">
    <span id="connection" class="pill idle">Connecting</span>
    <span id="updated">Not updated yet</span>
    <button id="sign-out" type="button" hidden>Sign out</button>
  </div>
</header>

<section id="login" class="card login" hidden>
  <h2>Admin key required</h2>
  <p>Enter the admin API key: ADMIN_API_KEY, or the key the API printed when it first started. It is kept for this browser tab only.</p>
  <form id="login-form">
    <label for="key-input">Admin API key</label>
    <input id="key-input" name="key" type="password" autocomplete="current-password" spellcheck="false" required>
    <button type="submit" class="primary">Open dashboard</button>
    <p id="login-error" role="alert"></p>
  </form>
</section>

<main id="dashboard" hidden>
  <section class="card span-12" aria-labelledby="deps-title">
    <h2 id="deps-title">Dependencies</h2>
    <div class="deps">${dependencyTile('postgres', 'PostgreSQL')}${dependencyTile('redis', 'Redis')}${dependencyTile('queue', 'Ingestion queue')}${dependencyTile('workers', 'Workers')}${dependencyTile('disk', 'Disk (DATA_DIR)')}
    </div>
  </section>

  <section class="card span-4">
    <h2>Queue <small id="queue-name"></small></h2>
    <div class="counts" id="queue-counts">${countTile('waiting', 'waiting')}${countTile('active', 'active')}${countTile('delayed', 'delayed')}${countTile('failed', 'failed')}${countTile('completed', 'completed')}
    </div>
    <p class="unavailable" id="queue-unavailable"></p>
  </section>

  <section class="card span-4">
    <h2>Documents</h2>
    <div class="counts" id="document-counts">${countTile('queued', 'queued')}${countTile('processing', 'processing')}${countTile('ready', 'ready')}${countTile('failed', 'failed')}
    </div>
    <p class="unavailable" id="documents-unavailable"></p>
  </section>

  <section class="card span-4">
    <h2>Tokens &amp; cache <small>last hour</small></h2>
    <div class="counts" id="usage-counts">${countTile('queries', 'queries')}${countTile('prompt_tokens', 'prompt tokens')}${countTile('completion_tokens', 'completion tokens')}${countTile('cache_hit_rate', 'cache hit rate')}${countTile('cache_hits', 'cache hits')}${countTile('keyword_fallbacks', 'keyword fallbacks')}
    </div>
    <p class="unavailable" id="usage-unavailable"></p>
  </section>

  <section class="card span-6">
    <h2>Ingestion throughput <small>pages finished per 5 minutes, last hour</small></h2>
    <svg id="throughput-chart" class="chart" role="img" aria-label="Pages ingested per 5 minutes over the last hour"></svg>
    <div class="chart-footer"><span id="throughput-total">&nbsp;</span></div>
  </section>

  <section class="card span-6">
    <h2>Query latency <small>per 5 minutes, last hour</small></h2>
    <div class="figures">
      <span class="figure" data-figure="p50_ms"><b>&ndash;</b>p50</span>
      <span class="figure" data-figure="p95_ms"><b>&ndash;</b>p95</span>
      <span class="figure" data-figure="p99_ms"><b>&ndash;</b>p99</span>
    </div>
    <svg id="latency-chart" class="chart" role="img" aria-label="Query latency percentiles per 5 minutes over the last hour"></svg>
    <div class="chart-footer">
      <span><span class="swatch" id="swatch-p50"></span>p50</span>
      <span><span class="swatch" id="swatch-p95"></span>p95</span>
      <span><span class="swatch" id="swatch-p99"></span>p99</span>
    </div>
  </section>

  <section class="card span-12">
    <h2>Usage by tenant <small>last 7 days (UTC), from GET /v1/admin/usage</small></h2>
    <div class="table-wrap">
      <table id="tenant-usage">
        <thead><tr><th>Tenant</th><th class="num">Queries</th><th class="num">Tokens</th><th class="num">Cost (USD)</th><th class="num">Cache hit rate</th><th class="num">Documents ingested</th><th class="num">Pages ingested</th></tr></thead>
        <tbody></tbody>
      </table>
    </div>
  </section>

  <section class="card span-12">
    <h2>Answer feedback <small>last 7 days, from GET /v1/admin/feedback</small> <span id="satisfaction" class="pill idle">&ndash;</span></h2>
    <div class="counts" id="feedback-counts">${countTile('up', 'rated up')}${countTile('down', 'rated down')}${countTile('satisfaction_rate', 'satisfaction')}
    </div>
    <p class="unavailable" id="feedback-unavailable"></p>
    <div class="table-wrap">
      <table id="down-answers">
        <thead><tr><th>Question rated down</th><th>Tenant · collection</th><th>Sources cited</th><th>Comment</th><th>When</th></tr></thead>
        <tbody></tbody>
      </table>
    </div>
  </section>

  <section class="card span-12">
    <h2>Possible prompt injections <small>last hour, heuristic</small> <span id="injection-count" class="pill idle">&ndash;</span></h2>
    <div class="table-wrap">
      <table id="flagged-queries">
        <thead><tr><th>Query</th><th>Tenant</th><th>Flagged</th><th>When</th></tr></thead>
        <tbody></tbody>
      </table>
    </div>
  </section>

  <section class="card span-12">
    <h2>Recently failed documents <span id="notice" role="status"></span></h2>
    <div class="table-wrap">
      <table id="failed-documents">
        <colgroup><col class="col-document"><col><col class="col-failed"><col class="col-attempts"><col class="col-actions"></colgroup>
        <thead><tr><th>Document</th><th>Error</th><th>Failed</th><th>Attempts</th><th></th></tr></thead>
        <tbody></tbody>
      </table>
    </div>
  </section>
</main>
`;
