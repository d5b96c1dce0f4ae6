/**
 * The dashboard's browser script, in TypeScript: compiled by its own tsconfig.browser.json (DOM types, plain
 * script output), then read from dist by dashboard.page.ts and inlined into the page (allowed by its CSP hash).
 * It has no import or export, so it runs in a browser as is; the response types come from the DTOs through
 * `import()` types, which leave nothing in the output. Everything sits inside one function, so nothing
 * becomes a global.
 *
 * It asks for the admin key once (kept in sessionStorage for this tab), polls GET /v1/admin/overview every
 * few seconds without overlapping requests, and renders with textContent and SVG DOM calls only: document
 * titles and error messages are untrusted text and never go through innerHTML.
 */
(() => {
  type Overview = import('../dto/admin-overview.dto').AdminOverviewDto;
  type Usage = import('../dto/admin-usage.dto').AdminUsageDto;
  type TenantDayUsage = import('../dto/admin-usage.dto').TenantDayUsageDto;
  type Feedback = import('../dto/admin-feedback.dto').AdminFeedbackDto;
  type Dependency = import('../dto/admin-overview.dto').DependencyDto &
    Partial<
      import('../dto/admin-overview.dto').PostgresDependencyDto &
        import('../dto/admin-overview.dto').WorkersDependencyDto &
        import('../dto/admin-overview.dto').DiskDependencyDto
    >;
  type QueryStats = import('../dto/admin-overview.dto').QueryStatsDto;
  type FailedDocument = import('../dto/admin-overview.dto').FailedDocumentDto;
  type PromptInjectionStats = import('../dto/admin-overview.dto').PromptInjectionStatsDto;
  type IngestionThroughput = import('../dto/admin-overview.dto').IngestionThroughputDto;
  type Percentile = 'p50_ms' | 'p95_ms' | 'p99_ms';
  /** A chart's plotting area inside its SVG, and the y coordinate of a value. */
  interface Frame {
    left: number;
    top: number;
    width: number;
    height: number;
    plotWidth: number;
    plotHeight: number;
    y(value: number): number;
  }

  const KEY_STORAGE = 'groundwork.adminKey';
  const REFRESH_MS = 5000;
  /**
   * The 7-day panels (usage by tenant, feedback) change slowly and can be large (1,500 tenants' usage was 1.6 MB):
   * asked for every twelfth refresh, not every one.
   */
  const SLOW_REFRESH_MS = 60_000;
  /** Usage rows (tenant and day) asked for at a time, and the most pages shown: 20,000 rows, 2,800 tenants a week. */
  const USAGE_PAGE_ROWS = 5000;
  const USAGE_PAGES = 4;
  const REQUEST_TIMEOUT_MS = 8000;
  const USAGE_DAYS = 7;
  const FEEDBACK_DAYS = 7;
  const DAY_MS = 86_400_000;
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const PERCENTILES: readonly Percentile[] = ['p50_ms', 'p95_ms', 'p99_ms'];
  const COLORS: Record<Percentile, string> = { p50_ms: '#2451c4', p95_ms: '#d97706', p99_ms: '#b91c1c' };

  let key = sessionStorage.getItem(KEY_STORAGE);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastUpdated: Date | null = null;
  /** When the 7-day panels were last asked for (0: not yet, or the key changed). */
  let slowPanelsAt = 0;
  let lastOverview: Overview | null = null;
  const retrying = new Set<string>();

  /** An element of the markup (dashboard.markup.ts): every id the script uses exists from the start. */
  const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
  /** The first element inside `parent` matching `selector`, which the markup always has. */
  const find = <T extends Element = HTMLElement>(parent: ParentNode, selector: string) => parent.querySelector(selector) as T;
  const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
  const fmt = (n: number | null | undefined) => (n === null || n === undefined ? '–' : Number(n).toLocaleString());
  // Token totals grow to millions; a compact form keeps them inside their tile.
  // As the server words a low disk (formatBytes in libs/storage): decimal units, as `df -H` prints them.
  const fmtBytes = (n: number | null | undefined) => (typeof n !== 'number' ? '–' : n < 1e9 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e9).toFixed(1)} GB`);
  const fmtCompact = (n: number | null | undefined) => (n === null || n === undefined ? '–' : compact.format(n));
  const count = (n: number, noun: string) => `${fmt(n)} ${noun}${n === 1 ? '' : 's'}`;
  const clock = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
  function ago(ms: number): string {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return `${s} s ago`;
    if (s < 3600) return `${Math.round(s / 60)} min ago`;
    if (s < 86400) return `${Math.round(s / 3600)} h ago`;
    return `${Math.round(s / 86400)} d ago`;
  }
  function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string | null, text?: string): HTMLElementTagNameMap[K] {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  /** A table body's one row saying why it is empty, spanning its columns. */
  function showEmpty(body: HTMLTableSectionElement, columns: number, text: string): void {
    const cell = el('td', 'empty-row', text);
    cell.colSpan = columns;
    const row = el('tr');
    row.appendChild(cell);
    body.appendChild(row);
  }
  function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // ---- key and connection state -------------------------------------------------------------
  function showLogin(text: string): void {
    clearTimeout(timer);
    slowPanelsAt = 0;
    key = null;
    sessionStorage.removeItem(KEY_STORAGE);
    $('dashboard').hidden = true;
    $('sign-out').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = text;
    setConnection('idle', 'Key needed');
    $('key-input').focus();
  }
  function showDashboard(): void {
    $('login').hidden = true;
    $('dashboard').hidden = false;
    $('sign-out').hidden = false;
  }
  function setConnection(kind: 'idle' | 'live' | 'stale', text: string): void {
    const pill = $('connection');
    pill.className = `pill ${kind}`;
    pill.textContent = text;
  }
  function tickUpdated(): void {
    $('updated').textContent = lastUpdated
      ? `Last updated ${lastUpdated.toLocaleTimeString()} (${ago(Date.now() - lastUpdated.getTime())})`
      : 'Not updated yet';
  }

  function api(path: string, init: RequestInit = {}): Promise<Response> {
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    const headers = { Authorization: `Bearer ${key}`, ...(init.headers as Record<string, string> | undefined) };
    return fetch(path, { cache: 'no-store', signal: controller.signal, ...init, headers }).finally(() => clearTimeout(timeout));
  }

  // ---- polling ---------------------------------------------------------------------------------
  async function refresh(): Promise<void> {
    clearTimeout(timer);
    if (!key) return;
    try {
      const from = new Date(Date.now() - (USAGE_DAYS - 1) * DAY_MS).toISOString().slice(0, 10);
      const slow = Date.now() - slowPanelsAt >= SLOW_REFRESH_MS;
      const [res, usage, feedback] = await Promise.all([
        api('/v1/admin/overview'),
        slow ? api(`/v1/admin/usage?from=${from}&limit=${USAGE_PAGE_ROWS}`) : null,
        slow ? api(`/v1/admin/feedback?days=${FEEDBACK_DAYS}`) : null,
      ]);
      const refused = [res, usage, feedback].map((response) => response?.status);
      if (refused.includes(401)) {
        showLogin('That key was not accepted. Enter the admin API key.');
        return;
      }
      // A member's or reader's key: asking again every 5 s would never do, so it is given back at once.
      if (refused.includes(403)) {
        showLogin('That key is not an admin key. Enter the admin API key.');
        return;
      }
      if (!res.ok) throw new Error(`the API answered ${res.status}`);
      render((await res.json()) as Overview);
      if (usage && feedback) {
        renderTenantUsage(usage.ok ? await allUsagePages((await usage.json()) as Usage, from) : null);
        renderFeedback(feedback.ok ? ((await feedback.json()) as Feedback) : null);
        slowPanelsAt = Date.now();
      }
      lastUpdated = new Date();
      setConnection('live', 'Live');
      $('connection').title = '';
    } catch (error) {
      // Keep the last data on screen; the pill and the age of "last updated" say it is stale.
      setConnection('stale', 'Unreachable');
      $('connection').title = message(error);
    }
    tickUpdated();
    timer = setTimeout(refresh, REFRESH_MS);
  }

  /** The usage of `first` and of the pages after it (at most USAGE_PAGES in all), or null when one fails. */
  async function allUsagePages(first: Usage, from: string): Promise<Usage | null> {
    const days = [...first.days];
    let cursor = first.next_cursor;
    for (let page = 1; cursor !== null && page < USAGE_PAGES; page++) {
      const next = await api(`/v1/admin/usage?from=${from}&limit=${USAGE_PAGE_ROWS}&cursor=${encodeURIComponent(cursor)}`);
      if (!next.ok) return null;
      const body = (await next.json()) as Usage;
      days.push(...body.days);
      cursor = body.next_cursor;
    }
    return { ...first, days, next_cursor: cursor };
  }

  // ---- rendering -------------------------------------------------------------------------------
  function render(o: Overview): void {
    lastOverview = o;
    renderDependencies(o.dependencies as unknown as Record<string, Dependency>);
    $('queue-name').textContent = o.queue ? o.queue.name : '';
    renderCounts('queue-counts', 'queue-unavailable', o.queue, 'Queue unreachable: counts unavailable.', ['failed']);
    renderCounts('document-counts', 'documents-unavailable', o.documents, 'PostgreSQL is down: counts unavailable.', ['failed']);
    renderUsage(o.queries);
    renderThroughput(o.ingestion);
    renderLatency(o.queries);
    renderFailed(o.failed_documents);
    renderInjections(o.prompt_injection);
  }

  function renderInjections(p: PromptInjectionStats | null): void {
    const pill = $('injection-count');
    pill.textContent = p ? `${fmt(p.flagged_queries)}${p.flagged_queries === 1 ? ' flagged query' : ' flagged queries'}` : '–';
    pill.className = `pill ${p && p.flagged_queries > 0 ? 'stale' : 'idle'}`;
    const body = find<HTMLTableSectionElement>($('flagged-queries'), 'tbody');
    body.replaceChildren();
    if (!p || p.recent.length === 0) {
      showEmpty(body, 4, p ? 'Nothing flagged.' : 'PostgreSQL is down: flags unavailable.');
      return;
    }
    for (const q of p.recent) {
      const row = el('tr');
      row.dataset.queryLogId = q.id;
      const what: string[] = [];
      if (q.query_flagged) what.push('query');
      if (q.flagged_chunks > 0) what.push(count(q.flagged_chunks, 'chunk'));
      row.append(el('td', 'message', q.query), el('td', null, q.tenant), el('td', null, what.join(' · ')), el('td', 'num', ago(Date.now() - new Date(q.created_at).getTime())));
      body.appendChild(row);
    }
  }

  const percent = (rate: number | null) => (rate === null ? '–' : `${Math.round(rate * 1000) / 10} %`);

  /** Ratings of the last days: up, down, the satisfaction rate, and the latest answers rated down with what they cited. */
  function renderFeedback(feedback: Feedback | null): void {
    const values = feedback && { up: feedback.up, down: feedback.down, satisfaction_rate: null };
    renderCounts('feedback-counts', 'feedback-unavailable', values, 'Feedback unavailable.');
    find($('feedback-counts'), '[data-count="satisfaction_rate"] .value').textContent = feedback ? percent(feedback.satisfaction_rate) : '–';
    const pill = $('satisfaction');
    pill.textContent = feedback && feedback.satisfaction_rate !== null ? `${percent(feedback.satisfaction_rate)} satisfied` : 'no ratings';
    // Below two thirds satisfied, the pill turns the colour of a stale connection: worth a look.
    pill.className = `pill ${feedback && feedback.satisfaction_rate !== null ? (feedback.satisfaction_rate < 2 / 3 ? 'stale' : 'live') : 'idle'}`;
    const body = find<HTMLTableSectionElement>($('down-answers'), 'tbody');
    body.replaceChildren();
    if (!feedback || feedback.recent_down.length === 0) {
      showEmpty(body, 5, feedback ? 'No answers rated down.' : 'Feedback unavailable.');
      return;
    }
    for (const answer of feedback.recent_down) {
      const row = el('tr');
      row.dataset.queryId = answer.query_id;
      const sources = el('td', 'sources');
      if (answer.sources.length === 0) sources.textContent = 'none';
      for (const source of answer.sources) {
        const pages = source.page_start === source.page_end ? `p. ${source.page_start}` : `pp. ${source.page_start}–${source.page_end}`;
        const item = el('div', 'source', `[${source.n}] ${source.title}, ${pages}`);
        item.dataset.documentId = source.document_id;
        sources.appendChild(item);
      }
      const when = el('td', 'num', ago(Date.now() - new Date(answer.rated_at).getTime()));
      when.title = new Date(answer.rated_at).toLocaleString();
      row.append(
        el('td', 'message question', answer.question),
        el('td', null, `${answer.tenant} · ${answer.collection ?? '(deleted)'}`),
        sources,
        el('td', 'message comment', answer.comment ?? ''),
        when,
      );
      body.appendChild(row);
    }
  }

  /** The usage rows of the last days summed per tenant, most queries first. */
  function renderTenantUsage(usage: Usage | null): void {
    const body = find<HTMLTableSectionElement>($('tenant-usage'), 'tbody');
    body.replaceChildren();
    if (!usage || usage.days.length === 0) {
      showEmpty(body, 7, usage ? `No queries or ingestion since ${usage.from}.` : 'Usage unavailable.');
      return;
    }
    const tenants = new Map<string, TenantDayUsage>();
    for (const day of usage.days) {
      const sum = tenants.get(day.tenant);
      if (!sum) {
        tenants.set(day.tenant, { ...day });
        continue;
      }
      for (const field of ['queries', 'total_tokens', 'cost_usd', 'cache_hits', 'documents_ingested', 'pages_ingested'] as const) sum[field] += day[field];
    }
    for (const sum of [...tenants.values()].sort((a, b) => b.queries - a.queries || a.tenant.localeCompare(b.tenant))) {
      const row = el('tr');
      row.dataset.tenant = sum.tenant;
      const rate = sum.queries ? `${Math.round((sum.cache_hits / sum.queries) * 1000) / 10} %` : '–';
      row.append(
        el('td', null, sum.tenant),
        el('td', 'num', fmt(sum.queries)),
        el('td', 'num', fmtCompact(sum.total_tokens)),
        el('td', 'num', sum.cost_usd.toFixed(4)),
        el('td', 'num', rate),
        el('td', 'num', fmt(sum.documents_ingested)),
        el('td', 'num', fmt(sum.pages_ingested)),
      );
      body.appendChild(row);
    }
  }

  function dependencyDetail(name: string, d: Dependency): string {
    if (d.status !== 'up') return d.message || 'not answering';
    if (name === 'postgres') return `version ${d.version} · pgvector ${d.pgvector}`;
    if (name === 'workers') return `${count(d.online ?? 0, 'worker')} online`;
    if (name === 'disk') return `${fmtBytes(d.free_bytes)} free of ${fmtBytes(d.total_bytes)}`;
    return `answered in ${d.response_time_ms} ms`;
  }
  function renderDependencies(deps: Record<string, Dependency>): void {
    for (const [name, d] of Object.entries(deps)) {
      const tile = document.querySelector<HTMLElement>(`[data-dep="${name}"]`);
      if (!tile) continue;
      tile.dataset.status = d.status;
      find(tile, '.state').textContent = d.status === 'up' ? 'up' : 'down';
      const detail = find(tile, '.detail');
      detail.textContent = dependencyDetail(name, d);
      detail.title = detail.textContent;
    }
  }

  /** Fills the tiles of `containerId` from `values` by their data-count names; an alert tile is red above zero. */
  function renderCounts(containerId: string, noteId: string, values: object | null, unavailable: string, alerts: readonly string[] = []): void {
    const figures = values as Record<string, number | null> | null;
    $(containerId)
      .querySelectorAll<HTMLElement>('[data-count]')
      .forEach((tile) => {
        const name = tile.dataset.count!;
        const value = figures ? figures[name] : null;
        find(tile, '.value').textContent = fmt(value);
        tile.dataset.alert = String(alerts.includes(name) && value !== null && value > 0);
      });
    $(noteId).textContent = values ? '' : unavailable;
  }

  function renderUsage(q: QueryStats | null): void {
    const values = q && {
      queries: q.queries,
      prompt_tokens: q.prompt_tokens,
      completion_tokens: q.completion_tokens,
      cache_hits: q.cache_hits,
      cache_hit_rate: q.cache_hit_rate,
      keyword_fallbacks: q.keyword_fallbacks,
    };
    // Answers the embedding provider's outage degraded to keyword search alone: red above zero.
    renderCounts('usage-counts', 'usage-unavailable', values, 'PostgreSQL is down: usage unavailable.', ['keyword_fallbacks']);
    for (const name of ['prompt_tokens', 'completion_tokens'] as const) {
      const value = find(document, `[data-count="${name}"] .value`);
      value.textContent = q ? fmtCompact(q[name]) : '–';
      value.title = q ? `${fmt(q[name])} tokens` : '';
    }
    const rate = find(document, '[data-count="cache_hit_rate"] .value');
    rate.textContent = q && q.cache_hit_rate !== null ? `${Math.round(q.cache_hit_rate * 1000) / 10} %` : '–';
  }

  function niceMax(value: number): number {
    if (!(value > 0)) return 1;
    const power = Math.pow(10, Math.floor(Math.log10(value)));
    const step = [1, 2, 2.5, 5, 10].find((candidate) => candidate * power >= value) ?? 10;
    return step * power;
  }

  function axisLabel(v: number, unit: string): string {
    if (unit === 'ms' && v >= 1000) return `${Math.round(v / 100) / 10} s`;
    return fmt(Math.round(v * 10) / 10) + (unit ? ` ${unit}` : '');
  }

  /** Draws axes and grid into a freshly sized SVG; returns the plotting frame. */
  function frame(chart: SVGSVGElement, max: number, unit: string): Frame {
    const width = chart.clientWidth || 600;
    const height = chart.clientHeight || 180;
    chart.setAttribute('viewBox', `0 0 ${width} ${height}`);
    chart.replaceChildren();
    const left = 52;
    const top = 10;
    const plotWidth = width - left - 8;
    const plotHeight = height - top - 22;
    const f: Frame = { left, top, width, height, plotWidth, plotHeight, y: (v) => top + plotHeight - (v / max) * plotHeight };
    for (const v of [0, max / 2, max]) {
      chart.appendChild(svg('line', { class: 'grid', x1: left, x2: left + plotWidth, y1: f.y(v), y2: f.y(v) }));
      chart.appendChild(svg('text', { x: left - 6, y: f.y(v) + 4, 'text-anchor': 'end' }, axisLabel(v, unit)));
    }
    return f;
  }
  function timeAxis(chart: SVGSVGElement, f: Frame, buckets: readonly { start: string }[]): number {
    const slot = f.plotWidth / buckets.length;
    const middle = Math.floor(buckets.length / 2);
    // The outer labels align with the plot's edges so they are never clipped.
    const labels: [number, number, string][] = [
      [0, f.left, 'start'],
      [middle, f.left + slot * (middle + 0.5), 'middle'],
      [buckets.length - 1, f.left + f.plotWidth, 'end'],
    ];
    for (const [bucket, x, anchor] of labels) {
      chart.appendChild(svg('text', { x, y: f.height - 6, 'text-anchor': anchor }, clock(buckets[bucket].start)));
    }
    return slot;
  }
  function emptyNote(chart: SVGSVGElement, f: Frame, text: string): void {
    chart.appendChild(svg('text', { class: 'empty', x: f.left + f.plotWidth / 2, y: f.top + f.plotHeight / 2, 'text-anchor': 'middle' }, text));
  }

  function renderThroughput(ingestion: IngestionThroughput | null): void {
    const chart = $('throughput-chart') as unknown as SVGSVGElement;
    if (!ingestion) {
      emptyNote(chart, frame(chart, 1, ''), 'PostgreSQL is down');
      $('throughput-total').textContent = ' ';
      return;
    }
    const buckets = ingestion.buckets;
    const f = frame(chart, niceMax(Math.max(...buckets.map((b) => b.pages))), '');
    const slot = timeAxis(chart, f, buckets);
    buckets.forEach((b, i) => {
      if (!b.pages) return;
      const top = f.y(b.pages);
      const bar = svg('rect', { class: 'bar', x: f.left + slot * i + slot * 0.15, y: top, width: slot * 0.7, height: f.top + f.plotHeight - top, rx: 2 });
      bar.appendChild(svg('title', {}, `${clock(b.start)}: ${count(b.pages, 'page')}, ${count(b.documents, 'document')}`));
      chart.appendChild(bar);
    });
    if (ingestion.pages === 0) emptyNote(chart, f, 'No documents finished in the last hour');
    $('throughput-total').textContent = `${count(ingestion.documents, 'document')}, ${count(ingestion.pages, 'page')} in the last hour`;
  }

  function renderLatency(q: QueryStats | null): void {
    for (const k of PERCENTILES) {
      const value = q?.[k] ?? null;
      find(document, `[data-figure="${k}"] b`).textContent = value !== null ? `${fmt(value)} ms` : '–';
    }
    const chart = $('latency-chart') as unknown as SVGSVGElement;
    if (!q) {
      emptyNote(chart, frame(chart, 1, ''), 'PostgreSQL is down');
      return;
    }
    const buckets = q.buckets;
    const f = frame(chart, niceMax(Math.max(...buckets.map((b) => b.p99_ms || 0))), 'ms');
    const slot = timeAxis(chart, f, buckets);
    for (const k of PERCENTILES) {
      const points: string[] = [];
      buckets.forEach((b, i) => {
        const value = b[k];
        if (value === null) return;
        const x = f.left + slot * (i + 0.5);
        points.push(`${x},${f.y(value)}`);
        const dot = svg('circle', { cx: x, cy: f.y(value), r: 3, fill: COLORS[k] });
        dot.appendChild(svg('title', {}, `${clock(b.start)} ${k.replace('_ms', '')}: ${fmt(value)} ms (${fmt(b.queries)} queries)`));
        chart.appendChild(dot);
      });
      if (points.length > 1) chart.insertBefore(svg('polyline', { points: points.join(' '), fill: 'none', stroke: COLORS[k], 'stroke-width': 2 }), chart.firstChild);
    }
    if (q.queries === 0) emptyNote(chart, f, 'No queries in the last hour');
  }

  function renderFailed(docs: FailedDocument[] | null): void {
    const body = find<HTMLTableSectionElement>($('failed-documents'), 'tbody');
    body.replaceChildren();
    if (!docs || docs.length === 0) {
      showEmpty(body, 5, docs ? 'No failed documents.' : 'PostgreSQL is down: failures unavailable.');
      return;
    }
    for (const doc of docs) {
      const row = el('tr');
      row.dataset.documentId = doc.id;
      const what = el('td');
      what.append(el('div', 'title', doc.title), el('div', 'sub', `${doc.tenant} · ${doc.collection}` + (doc.filename ? ` · ${doc.filename}` : '')));
      const error = el('td');
      error.append(el('code', 'code', doc.error_code), el('div', 'message', doc.error_message));
      const when = el('td', 'num', doc.failed_at ? ago(Date.now() - new Date(doc.failed_at).getTime()) : '–');
      if (doc.failed_at) when.title = new Date(doc.failed_at).toLocaleString();
      const actions = el('td', 'actions');
      const button = el('button', 'retry', retrying.has(doc.id) ? 'Retrying…' : 'Retry');
      button.type = 'button';
      button.disabled = retrying.has(doc.id);
      button.addEventListener('click', () => void retry(doc, button));
      actions.appendChild(button);
      row.append(what, error, when, el('td', 'num', fmt(doc.attempts)), actions);
      body.appendChild(row);
    }
  }

  function notice(kind: 'ok' | 'error', text: string): void {
    const node = $('notice');
    node.dataset.kind = kind;
    node.textContent = text;
  }

  async function retry(doc: FailedDocument, button: HTMLButtonElement): Promise<void> {
    retrying.add(doc.id);
    button.disabled = true;
    button.textContent = 'Retrying…';
    try {
      const res = await api(`/v1/admin/documents/${encodeURIComponent(doc.id)}/retry`, { method: 'POST' });
      if (res.status === 401) {
        showLogin('That key was not accepted. Enter the admin API key.');
        return;
      }
      const body = (await res.json()) as { job_id?: string; error?: { message: string } };
      if (!res.ok) throw new Error(body.error ? body.error.message : `the API answered ${res.status}`);
      notice('ok', `Re-queued “${doc.title}” (${body.job_id}).`);
    } catch (error) {
      notice('error', `Could not retry “${doc.title}”: ${message(error)}`);
    } finally {
      retrying.delete(doc.id);
    }
    void refresh();
  }

  // ---- wiring ----------------------------------------------------------------------------------
  $('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $<HTMLInputElement>('key-input');
    key = input.value.trim();
    if (!key) return;
    sessionStorage.setItem(KEY_STORAGE, key);
    input.value = '';
    $('login-error').textContent = '';
    setConnection('idle', 'Connecting');
    showDashboard();
    void refresh();
  });
  $('sign-out').addEventListener('click', () => showLogin(''));
  for (const k of PERCENTILES) $(`swatch-${k.replace('_ms', '')}`).style.background = COLORS[k];
  // Charts are drawn at the SVG's pixel size, so text stays crisp; redraw when that size changes.
  new ResizeObserver(() => {
    if (!lastOverview) return;
    renderThroughput(lastOverview.ingestion);
    renderLatency(lastOverview.queries);
  }).observe($('throughput-chart'));
  setInterval(tickUpdated, 1000);

  if (key) {
    showDashboard();
    void refresh();
  } else showLogin('');
})();
