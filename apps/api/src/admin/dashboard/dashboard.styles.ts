/**
 * The dashboard's stylesheet. Fixed heights for tiles, charts and the failures table, and tabular figures
 * for every number, so a refresh changes what the page says without moving anything on it.
 */
export const DASHBOARD_STYLES = String.raw`
:root {
  --bg: #f4f5f7; --card: #fff; --ink: #1b2230; --muted: #5d6679; --line: #e2e5eb;
  --up: #15803d; --up-soft: #dcfce7; --down: #b91c1c; --down-soft: #fee2e2; --accent: #2451c4;
  --p50: #2451c4; --p95: #d97706; --p99: #b91c1c; --bar: #3b82f6;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif;
  color: var(--ink); background: var(--bg);
}
* { box-sizing: border-box; }
html { scrollbar-gutter: stable; }
body { margin: 0; }
[hidden] { display: none !important; }
.num { font-variant-numeric: tabular-nums; }

header {
  position: sticky; top: 0; z-index: 2; display: flex; align-items: center; gap: 16px;
  height: 52px; padding: 0 24px; background: #111827; color: #f9fafb;
}
header h1 { margin: 0; font-size: 16px; font-weight: 600; }
header h1 span { color: #9ca3af; font-weight: 400; }
.status-line { margin-left: auto; display: flex; align-items: center; gap: 14px; font-size: 13px; color: #d1d5db; }
#updated { display: inline-block; min-width: 16em; text-align: right; font-variant-numeric: tabular-nums; }
.pill { display: inline-block; min-width: 84px; padding: 2px 10px; border-radius: 999px; font-size: 12px; font-weight: 600; text-align: center; }
.pill.live { background: #14532d; color: #bbf7d0; }
.pill.stale { background: #7f1d1d; color: #fecaca; }
.pill.idle { background: #374151; color: #e5e7eb; }

button { font: inherit; cursor: pointer; border-radius: 6px; border: 1px solid #cbd2dc; background: #fff; color: var(--ink); padding: 3px 12px; }
button:hover:not(:disabled) { border-color: var(--accent); color: var(--accent); }
button:disabled { opacity: .55; cursor: default; }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; padding: 6px 16px; }
button.primary:hover { color: #fff; filter: brightness(1.1); }
header button { background: transparent; color: #d1d5db; border-color: #4b5563; }

main { max-width: 1440px; margin: 0 auto; padding: 20px 24px 40px; display: grid; grid-template-columns: repeat(12, minmax(0, 1fr)); gap: 16px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px; min-width: 0; }
.card h2 { display: flex; align-items: baseline; gap: 8px; margin: 0 0 12px; font-size: 12px; font-weight: 700; letter-spacing: .07em; text-transform: uppercase; color: var(--muted); }
.card h2 small { font-size: 12px; font-weight: 400; letter-spacing: 0; text-transform: none; }
.span-12 { grid-column: span 12; } .span-6 { grid-column: span 6; } .span-4 { grid-column: span 4; }

.deps { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 12px; }
.dep { display: grid; grid-template-columns: 14px minmax(0, 1fr); column-gap: 10px; height: 78px; padding: 12px 14px; border: 1px solid var(--line); border-radius: 8px; }
.dep .dot { grid-row: span 3; width: 12px; height: 12px; margin-top: 4px; border-radius: 50%; background: #9ca3af; }
.dep .name { font-weight: 600; }
.dep .state { font-size: 11px; font-weight: 700; letter-spacing: .06em; text-transform: uppercase; color: var(--muted); }
.dep .detail { overflow: hidden; font-size: 12px; color: var(--muted); white-space: nowrap; text-overflow: ellipsis; }
.dep[data-status="up"] .dot { background: var(--up); box-shadow: 0 0 0 3px var(--up-soft); }
.dep[data-status="up"] .state { color: var(--up); }
.dep[data-status="down"] { border-color: #fca5a5; background: #fff6f6; }
.dep[data-status="down"] .dot { background: var(--down); box-shadow: 0 0 0 3px var(--down-soft); }
.dep[data-status="down"] .state, .dep[data-status="down"] .detail { color: var(--down); }

/* auto-fill: the column count follows the card's width (a resize), never the numbers (a refresh). */
.counts { display: grid; grid-template-columns: repeat(auto-fill, minmax(96px, 1fr)); gap: 12px 10px; }
.count { min-width: 0; }
.count .value { overflow: hidden; font-size: 24px; font-weight: 600; line-height: 1.2; font-variant-numeric: tabular-nums; white-space: nowrap; text-overflow: ellipsis; }
.count .label { font-size: 12px; color: var(--muted); }
.count[data-alert="true"] .value { color: var(--down); }
.unavailable { height: 1.45em; font-size: 12px; color: var(--down); }

.chart { display: block; width: 100%; height: 180px; }
.chart text { font-size: 11px; fill: var(--muted); }
.chart .grid { stroke: var(--line); stroke-width: 1; }
.chart .bar { fill: var(--bar); }
.chart .empty { font-size: 13px; }
.chart-footer { display: flex; gap: 18px; height: 20px; margin-top: 6px; font-size: 12px; color: var(--muted); font-variant-numeric: tabular-nums; }
.swatch { display: inline-block; width: 10px; height: 3px; margin-right: 5px; vertical-align: middle; border-radius: 2px; }
.figures { display: flex; gap: 22px; height: 34px; margin-bottom: 4px; }
.figure { font-size: 12px; color: var(--muted); }
.figure b { margin-right: 3px; font-size: 18px; font-weight: 600; color: var(--ink); font-variant-numeric: tabular-nums; }

#notice { margin-left: auto; font-size: 13px; font-weight: 400; letter-spacing: 0; text-transform: none; }
#notice[data-kind="ok"] { color: var(--up); }
#notice[data-kind="error"] { color: var(--down); }
.table-wrap { min-height: 230px; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
th, td { padding: 8px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { font-size: 12px; font-weight: 600; color: var(--muted); }
td .title { font-weight: 600; overflow-wrap: anywhere; }
td .sub { font-size: 12px; color: var(--muted); overflow-wrap: anywhere; }
td code { padding: 1px 6px; border-radius: 4px; background: var(--down-soft); color: var(--down); font-size: 12px; }
td .message { margin-top: 3px; color: var(--ink); overflow-wrap: anywhere; }
td.actions { text-align: right; }
td.message, td .source { overflow-wrap: anywhere; }
td .source { font-size: 12px; }
.col-document { width: 30%; } .col-failed { width: 13%; } .col-attempts { width: 8%; } .col-actions { width: 10%; }
.empty-row { padding: 18px 10px; color: var(--muted); }

.login { max-width: 440px; margin: 12vh auto 0; }
.login p { color: var(--muted); margin: 0 0 14px; }
.login label { display: block; margin-bottom: 6px; font-weight: 600; }
.login input { width: 100%; margin-bottom: 12px; padding: 8px 10px; border: 1px solid #cbd2dc; border-radius: 6px; font: inherit; }
#login-error { min-height: 1.45em; margin: 10px 0 0; color: var(--down); }

@media (max-width: 1000px) {
  .span-6, .span-4 { grid-column: span 12; }
  .deps { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  #updated { min-width: 0; }
}
`;
