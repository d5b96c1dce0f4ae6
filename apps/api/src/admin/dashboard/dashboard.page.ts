import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DASHBOARD_MARKUP } from './dashboard.markup';
import { DASHBOARD_STYLES } from './dashboard.styles';

export interface DashboardPage {
  html: string;
  /** Allows exactly this page's inline style and script (by hash) and requests to this origin only. */
  contentSecurityPolicy: string;
}

/** The browser script as tsc compiled it from dashboard.browser.ts (see tsconfig.browser.json). */
const browserScript = () => readFileSync(join(__dirname, '..', 'browser', 'dashboard', 'dashboard.browser.js'), 'utf8');

const sourceHash = (source: string) => `'sha256-${createHash('sha256').update(source, 'utf8').digest('base64')}'`;

/** The admin dashboard: one self-contained HTML page (inline CSS, JS and SVG charts; no CDN). */
export function buildDashboardPage(): DashboardPage {
  const script = browserScript();
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Groundwork admin</title>
<style>${DASHBOARD_STYLES}</style>
</head>
<body>
${DASHBOARD_MARKUP}
<script>${script}</script>
</body>
</html>
`;
  const contentSecurityPolicy = [
    "default-src 'none'",
    `script-src ${sourceHash(script)}`,
    `style-src ${sourceHash(DASHBOARD_STYLES)}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, contentSecurityPolicy };
}
