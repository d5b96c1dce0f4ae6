import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); playwright-core drives it, it downloads no browser. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
/** A common laptop viewport: the dashboard must read well at this width. */
const VIEWPORT = { width: 1366, height: 900 };

export interface HeadlessBrowser {
  page: Page;
  context: BrowserContext;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile (its own user-data-dir, removed on close) and one page. */
export async function launchBrowser(): Promise<HeadlessBrowser> {
  const userDataDir = await mkdtemp(join(tmpdir(), 'groundwork-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: VIEWPORT,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    page,
    context,
    close: async () => {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Opens the admin dashboard and signs in with `key` through its key form. */
export async function openDashboard(page: Page, baseUrl: string, key: string): Promise<void> {
  await page.goto(`${baseUrl}/admin`);
  await page.locator('#key-input').fill(key);
  await page.getByRole('button', { name: 'Open dashboard' }).click();
  await page.locator('#connection.live').waitFor();
}

/** Saves a full-page screenshot under test-artifacts/ (kept by the test run as an artifact). */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  const path = join(__dirname, '..', '..', '..', 'test-artifacts', name);
  await mkdir(dirname(path), { recursive: true });
  await page.screenshot({ path, fullPage: true });
  return path;
}
