/**
 * The dashboard's browser script (plain JavaScript, inlined into the page and allowed by its CSP hash).
 * It asks for the admin key once (kept in sessionStorage for this tab), polls GET /v1/admin/overview every
 * few seconds without overlapping requests, and renders with textContent and SVG DOM calls only: document
 * titles and error messages are untrusted text and never go through innerHTML.
 */
export const DASHBOARD_SCRIPT = String.raw`
(function () {
  'use strict';
  var KEY_STORAGE = 'groundwork.adminKey';
  var REFRESH_MS = 5000;
  var REQUEST_TIMEOUT_MS = 8000;
  var SVG_NS = 'http://www.w3.org/2000/svg';
  var COLORS = { p50_ms: '#2451c4', p95_ms: '#d97706', p99_ms: '#b91c1c' };

  var key = sessionStorage.getItem(KEY_STORAGE);
  var timer = null;
  var lastUpdated = null;
  var lastOverview = null;
  var retrying = {};

  function $(id) { return document.getElementById(id); }
  var compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
  function fmt(n) { return n === null || n === undefined ? '–' : Number(n).toLocaleString(); }
  // Token totals grow to millions; a compact form keeps them inside their tile.
  function fmtCompact(n) { return n === null || n === undefined ? '–' : compact.format(n); }
  function count(n, noun) { return fmt(n) + ' ' + noun + (n === 1 ? '' : 's'); }
  function clock(iso) { return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }); }
  function ago(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.round(s / 60) + ' min ago';
    if (s < 86400) return Math.round(s / 3600) + ' h ago';
    return Math.round(s / 86400) + ' d ago';
  }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  /** A table body's one row saying why it is empty, spanning its columns. */
  function showEmpty(body, columns, text) {
    var cell = el('td', 'empty-row', text);
    cell.colSpan = columns;
    var row = el('tr');
    row.appendChild(cell);
    body.appendChild(row);
  }
  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG_NS, tag);
    for (var name in attrs) node.setAttribute(name, attrs[name]);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // ---- key and connection state -------------------------------------------------------------
  function showLogin(message) {
    clearTimeout(timer);
    key = null;
    sessionStorage.removeItem(KEY_STORAGE);
    $('dashboard').hidden = true;
    $('sign-out').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = message || '';
    setConnection('idle', 'Key needed');
    $('key-input').focus();
  }
  function showDashboard() {
    $('login').hidden = true;
    $('dashboard').hidden = false;
    $('sign-out').hidden = false;
  }
  function setConnection(kind, text) {
    var pill = $('connection');
    pill.className = 'pill ' + kind;
    pill.textContent = text;
  }
  function tickUpdated() {
    $('updated').textContent = lastUpdated
      ? 'Last updated ' + lastUpdated.toLocaleTimeString() + ' (' + ago(Date.now() - lastUpdated.getTime()) + ')'
      : 'Not updated yet';
  }

  function api(path, init) {
    var controller = new AbortController();
    var timeout = setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS);
    var options = Object.assign({ cache: 'no-store', signal: controller.signal }, init || {});
    options.headers = Object.assign({ Authorization: 'Bearer ' + key }, options.headers || {});
    return fetch(path, options).finally(function () { clearTimeout(timeout); });
  }

  // ---- polling ---------------------------------------------------------------------------------
  async function refresh() {
    clearTimeout(timer);
    if (!key) return;
    try {
      var res = await api('/v1/admin/overview');
      if (res.status === 401) { showLogin('That key was not accepted. Enter the admin API key.'); return; }
      if (!res.ok) throw new Error('the API answered ' + res.status);
      render(await res.json());
      lastUpdated = new Date();
      setConnection('live', 'Live');
      $('connection').title = '';
    } catch (error) {
      // Keep the last data on screen; the pill and the age of "last updated" say it is stale.
      setConnection('stale', 'Unreachable');
      $('connection').title = error.message;
    }
    tickUpdated();
    timer = setTimeout(refresh, REFRESH_MS);
  }

  // ---- rendering -------------------------------------------------------------------------------
  function render(o) {
    lastOverview = o;
    renderDependencies(o.dependencies);
    $('queue-name').textContent = o.queue ? o.queue.name : '';
    renderCounts('queue-counts', 'queue-unavailable', o.queue, 'Queue unreachable: counts unavailable.', { failed: true });
    renderCounts('document-counts', 'documents-unavailable', o.documents, 'PostgreSQL is down: counts unavailable.', { failed: true });
    renderUsage(o.queries);
    renderThroughput(o.ingestion);
    renderLatency(o.queries);
    renderFailed(o.failed_documents);
    renderInjections(o.prompt_injection);
  }

  function renderInjections(p) {
    $('injection-count').textContent = p ? fmt(p.flagged_queries) + (p.flagged_queries === 1 ? ' flagged query' : ' flagged queries') : '–';
    $('injection-count').className = 'pill ' + (p && p.flagged_queries > 0 ? 'stale' : 'idle');
    var body = $('flagged-queries').querySelector('tbody');
    body.replaceChildren();
    if (!p || p.recent.length === 0) {
      showEmpty(body, 4, p ? 'Nothing flagged.' : 'PostgreSQL is down: flags unavailable.');
      return;
    }
    p.recent.forEach(function (q) {
      var row = el('tr');
      row.dataset.queryLogId = q.id;
      var what = [];
      if (q.query_flagged) what.push('query');
      if (q.flagged_chunks > 0) what.push(count(q.flagged_chunks, 'chunk'));
      [el('td', 'message', q.query), el('td', null, q.tenant), el('td', null, what.join(' · ')), el('td', 'num', ago(Date.now() - new Date(q.created_at).getTime()))]
        .forEach(function (c) { row.appendChild(c); });
      body.appendChild(row);
    });
  }

  function dependencyDetail(name, d) {
    if (d.status !== 'up') return d.message || 'not answering';
    if (name === 'postgres') return 'version ' + d.version + ' · pgvector ' + d.pgvector;
    if (name === 'workers') return count(d.online, 'worker') + ' online';
    return 'answered in ' + d.response_time_ms + ' ms';
  }
  function renderDependencies(deps) {
    Object.keys(deps).forEach(function (name) {
      var tile = document.querySelector('[data-dep="' + name + '"]');
      if (!tile) return;
      var d = deps[name];
      tile.dataset.status = d.status;
      tile.querySelector('.state').textContent = d.status === 'up' ? 'up' : 'down';
      var detail = tile.querySelector('.detail');
      detail.textContent = dependencyDetail(name, d);
      detail.title = detail.textContent;
    });
  }

  function renderCounts(containerId, noteId, values, unavailable, alerts) {
    var tiles = $(containerId).querySelectorAll('[data-count]');
    tiles.forEach(function (tile) {
      var name = tile.dataset.count;
      var value = values ? values[name] : null;
      tile.querySelector('.value').textContent = fmt(value);
      tile.dataset.alert = String(Boolean(alerts && alerts[name] && value > 0));
    });
    $(noteId).textContent = values ? '' : unavailable;
  }

  function renderUsage(q) {
    var values = q && {
      queries: q.queries,
      prompt_tokens: q.prompt_tokens,
      completion_tokens: q.completion_tokens,
      cache_hits: q.cache_hits,
      cache_hit_rate: q.cache_hit_rate
    };
    renderCounts('usage-counts', 'usage-unavailable', values, 'PostgreSQL is down: usage unavailable.');
    ['prompt_tokens', 'completion_tokens'].forEach(function (name) {
      var value = document.querySelector('[data-count="' + name + '"] .value');
      value.textContent = q ? fmtCompact(q[name]) : '–';
      value.title = q ? fmt(q[name]) + ' tokens' : '';
    });
    var rate = document.querySelector('[data-count="cache_hit_rate"] .value');
    rate.textContent = q && q.cache_hit_rate !== null ? Math.round(q.cache_hit_rate * 1000) / 10 + ' %' : '–';
  }

  function niceMax(value) {
    if (!(value > 0)) return 1;
    var power = Math.pow(10, Math.floor(Math.log10(value)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * power >= value) return steps[i] * power;
    return 10 * power;
  }

  function axisLabel(v, unit) {
    if (unit === 'ms' && v >= 1000) return Math.round(v / 100) / 10 + ' s';
    return fmt(Math.round(v * 10) / 10) + (unit ? ' ' + unit : '');
  }

  // Draws axes and grid into a freshly sized SVG; returns the plotting frame.
  function frame(chart, max, unit) {
    var width = chart.clientWidth || 600;
    var height = chart.clientHeight || 180;
    chart.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
    chart.replaceChildren();
    var f = { left: 52, right: 8, top: 10, bottom: 22, width: width, height: height };
    f.plotWidth = width - f.left - f.right;
    f.plotHeight = height - f.top - f.bottom;
    f.y = function (v) { return f.top + f.plotHeight - (v / max) * f.plotHeight; };
    [0, max / 2, max].forEach(function (v) {
      chart.appendChild(svg('line', { class: 'grid', x1: f.left, x2: width - f.right, y1: f.y(v), y2: f.y(v) }));
      chart.appendChild(svg('text', { x: f.left - 6, y: f.y(v) + 4, 'text-anchor': 'end' }, axisLabel(v, unit)));
    });
    return f;
  }
  function timeAxis(chart, f, buckets) {
    var slot = f.plotWidth / buckets.length;
    var last = buckets.length - 1;
    // The outer labels align with the plot's edges so they are never clipped.
    [[0, f.left, 'start'], [Math.floor(buckets.length / 2), f.left + slot * (Math.floor(buckets.length / 2) + 0.5), 'middle'], [last, f.left + f.plotWidth, 'end']]
      .forEach(function (label) {
        chart.appendChild(svg('text', { x: label[1], y: f.height - 6, 'text-anchor': label[2] }, clock(buckets[label[0]].start)));
      });
    return slot;
  }
  function emptyNote(chart, f, text) {
    chart.appendChild(svg('text', { class: 'empty', x: f.left + f.plotWidth / 2, y: f.top + f.plotHeight / 2, 'text-anchor': 'middle' }, text));
  }

  function renderThroughput(ingestion) {
    var chart = $('throughput-chart');
    if (!ingestion) {
      emptyNote(chart, frame(chart, 1, ''), 'PostgreSQL is down');
      $('throughput-total').textContent = ' ';
      return;
    }
    var buckets = ingestion.buckets;
    var f = frame(chart, niceMax(Math.max.apply(null, buckets.map(function (b) { return b.pages; }))), '');
    var slot = timeAxis(chart, f, buckets);
    buckets.forEach(function (b, i) {
      if (!b.pages) return;
      var top = f.y(b.pages);
      var bar = svg('rect', { class: 'bar', x: f.left + slot * i + slot * 0.15, y: top, width: slot * 0.7, height: f.top + f.plotHeight - top, rx: 2 });
      bar.appendChild(svg('title', {}, clock(b.start) + ': ' + count(b.pages, 'page') + ', ' + count(b.documents, 'document')));
      chart.appendChild(bar);
    });
    if (ingestion.pages === 0) emptyNote(chart, f, 'No documents finished in the last hour');
    $('throughput-total').textContent = count(ingestion.documents, 'document') + ', ' + count(ingestion.pages, 'page') + ' in the last hour';
  }

  function renderLatency(q) {
    ['p50_ms', 'p95_ms', 'p99_ms'].forEach(function (k) {
      document.querySelector('[data-figure="' + k + '"] b').textContent = q && q[k] !== null ? fmt(q[k]) + ' ms' : '–';
    });
    var chart = $('latency-chart');
    if (!q) { emptyNote(chart, frame(chart, 1, ''), 'PostgreSQL is down'); return; }
    var buckets = q.buckets;
    var f = frame(chart, niceMax(Math.max.apply(null, buckets.map(function (b) { return b.p99_ms || 0; }))), 'ms');
    var slot = timeAxis(chart, f, buckets);
    ['p50_ms', 'p95_ms', 'p99_ms'].forEach(function (k) {
      var points = [];
      buckets.forEach(function (b, i) {
        if (b[k] === null) return;
        var x = f.left + slot * (i + 0.5);
        points.push(x + ',' + f.y(b[k]));
        var dot = svg('circle', { cx: x, cy: f.y(b[k]), r: 3, fill: COLORS[k] });
        dot.appendChild(svg('title', {}, clock(b.start) + ' ' + k.replace('_ms', '') + ': ' + fmt(b[k]) + ' ms (' + fmt(b.queries) + ' queries)'));
        chart.appendChild(dot);
      });
      if (points.length > 1) chart.insertBefore(svg('polyline', { points: points.join(' '), fill: 'none', stroke: COLORS[k], 'stroke-width': 2 }), chart.firstChild);
    });
    if (q.queries === 0) emptyNote(chart, f, 'No queries in the last hour');
  }

  function renderFailed(docs) {
    var body = $('failed-documents').querySelector('tbody');
    body.replaceChildren();
    if (!docs || docs.length === 0) {
      showEmpty(body, 5, docs ? 'No failed documents.' : 'PostgreSQL is down: failures unavailable.');
      return;
    }
    docs.forEach(function (doc) {
      var row = el('tr');
      row.dataset.documentId = doc.id;
      var what = el('td');
      what.appendChild(el('div', 'title', doc.title));
      what.appendChild(el('div', 'sub', doc.collection + (doc.filename ? ' · ' + doc.filename : '')));
      var error = el('td');
      error.appendChild(el('code', 'code', doc.error_code));
      error.appendChild(el('div', 'message', doc.error_message));
      var when = el('td', 'num', doc.failed_at ? ago(Date.now() - new Date(doc.failed_at).getTime()) : '–');
      if (doc.failed_at) when.title = new Date(doc.failed_at).toLocaleString();
      var attempts = el('td', 'num', fmt(doc.attempts));
      var actions = el('td', 'actions');
      var button = el('button', 'retry', retrying[doc.id] ? 'Retrying…' : 'Retry');
      button.type = 'button';
      button.disabled = Boolean(retrying[doc.id]);
      button.addEventListener('click', function () { retry(doc, button); });
      actions.appendChild(button);
      [what, error, when, attempts, actions].forEach(function (c) { row.appendChild(c); });
      body.appendChild(row);
    });
  }

  function notice(kind, text) {
    var node = $('notice');
    node.dataset.kind = kind;
    node.textContent = text;
  }

  async function retry(doc, button) {
    retrying[doc.id] = true;
    button.disabled = true;
    button.textContent = 'Retrying…';
    try {
      var res = await api('/v1/admin/documents/' + encodeURIComponent(doc.id) + '/retry', { method: 'POST' });
      if (res.status === 401) { showLogin('That key was not accepted. Enter the admin API key.'); return; }
      var body = await res.json();
      if (!res.ok) throw new Error(body && body.error ? body.error.message : 'the API answered ' + res.status);
      notice('ok', 'Re-queued “' + doc.title + '” (' + body.job_id + ').');
    } catch (error) {
      notice('error', 'Could not retry “' + doc.title + '”: ' + error.message);
    } finally {
      delete retrying[doc.id];
    }
    refresh();
  }

  // ---- wiring ----------------------------------------------------------------------------------
  $('login-form').addEventListener('submit', function (event) {
    event.preventDefault();
    key = $('key-input').value.trim();
    if (!key) return;
    sessionStorage.setItem(KEY_STORAGE, key);
    $('key-input').value = '';
    $('login-error').textContent = '';
    setConnection('idle', 'Connecting');
    showDashboard();
    refresh();
  });
  $('sign-out').addEventListener('click', function () { showLogin(''); });
  ['p50', 'p95', 'p99'].forEach(function (p) { $('swatch-' + p).style.background = COLORS[p + '_ms']; });
  // Charts are drawn at the SVG's pixel size, so text stays crisp; redraw when that size changes.
  new ResizeObserver(function () { if (lastOverview) { renderThroughput(lastOverview.ingestion); renderLatency(lastOverview.queries); } })
    .observe($('throughput-chart'));
  setInterval(tickUpdated, 1000);

  if (key) { showDashboard(); refresh(); } else showLogin('');
})();
`;
