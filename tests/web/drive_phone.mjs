// drive.mjs's phone scenarios: installable, the screen kept on, recovery after a hide (as a
// locked phone), offline from the worker's cache; a browser without the Wake Lock API.
import fs from 'node:fs';
import os from 'node:os';
import { chromium } from 'playwright-core';
import { args, browser, cfg, choosing, openPage, reach, relay, report, say } from './drive_lib.mjs';

// What the page holds of the parts a phone suspends (window.coachParts, set by app.js).
export const parts = () => {
  const { mic, awake, sound } = window.coachParts;
  const track = mic.track;
  return {
    sound: sound() ? sound().state : null, soundTime: sound() ? sound().currentTime : null,
    micContext: mic.ctx ? mic.ctx.state : null, track: track ? track.readyState : null,
    reopened: mic.reopened, wakeHeld: awake.held(),
    sentinelReleased: awake.sentinel ? awake.sentinel.released : null,
    chunks: window.coachTrace.sent.chunks, controlled: Boolean(navigator.serviceWorker.controller),
  };
};

// As a phone does when it is locked: the page hidden, the screen lock dropped, audio suspended,
// the microphone's track ended. Headless chromium never hides a page itself (a tab switch, a
// minimised window and a frozen page all leave it visible), so the hide is simulated.
export const hide = async () => {
  const { mic, awake, sound } = window.coachParts;
  Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
  document.dispatchEvent(new Event('visibilitychange'));
  if (awake.sentinel) await awake.sentinel.release();
  await sound().suspend();
  await mic.ctx.suspend();
  mic.track.stop();
};
export const unhide = () => {
  delete document.visibilityState;  // the browser's own (visible) again
  document.dispatchEvent(new Event('visibilitychange'));
};

// Microphone samples the gateway has received, over all its pages.
export const received = async () => (await (await fetch(`${cfg.url}status`)).json()).pages
  .reduce((sum, p) => sum + p.received_samples, 0);

export async function phone() {
  // A browser profile of its own, as a phone's (an incognito context cannot install an app)
  const profile = fs.mkdtempSync(`${os.tmpdir()}/stretch-phone-`);
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: cfg.chromium || '/usr/bin/chromium', args, viewport: { width: 390, height: 844 } });
  const link = await relay(Number(new URL(cfg.url).port));
  try {
    const page = await openPage(link.url, { context: ctx, viewport: { width: 390, height: 844 } });
    const cdp = await ctx.newCDPSession(page);
    report.manifest = await cdp.send('Page.getAppManifest');
    await reach(page, 'worker', () => navigator.serviceWorker.controller
      && window.coachTrace.events.some((e) => e.type === 'sw-ready'));
    report.installability = (await cdp.send('Page.getInstallabilityErrors')).installabilityErrors;
    report.cached = await page.evaluate(async () => {
      const out = {};
      for (const key of await caches.keys()) {
        out[key] = (await (await caches.open(key)).keys()).map((r) => new URL(r.url).pathname);
      }
      return out;
    });
    await page.click('#start');
    await say(page, 'start');
    await reach(page, 'choosing', choosing);
    report.session = await page.evaluate(parts);
    await page.evaluate(hide);
    report.hidden = await page.evaluate(parts);
    await page.waitForTimeout(500);
    report.hiddenLater = await page.evaluate(parts);
    report.receivedBefore = await received();
    await page.evaluate(unhide);
    await reach(page, 'recovered', () => window.coachTrace.events.some((e) => e.type === 'recovered'));
    report.back = await page.evaluate(parts);
    await page.waitForTimeout(1000);
    report.backLater = await page.evaluate(parts);
    report.receivedAfter = await received();
    const played = await page.evaluate(() => window.coachTrace.played.samples);
    await say(page, 'standing double leg');
    await reach(page, 'spoken', (n) => window.coachTrace.played.samples > n, played);
    await say(page, 'end the session');
    await reach(page, 'ended', () => document.getElementById('routine').textContent.includes('Session over'));
    await page.waitForTimeout(300);
    report.ended = await page.evaluate(parts);
    link.cut();  // no network: the page comes from the worker's cache
    await page.reload();
    await reach(page, 'offline', () => document.getElementById('start') && window.coachTrace
      && window.coachTrace.events.some((e) => e.type === 'link-down'));
    report.offline = await page.evaluate(async () => {
      const get = (path) => fetch(path).then((r) => r.status, (e) => `failed: ${e.name}`);
      return { page: await get('/'), script: await get('/static/app.js'),
        status: await get('/status'), figure: typeof window.drawFigure };
    });
  } finally {
    link.close();
    await ctx.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

export async function nowake() {
  // A browser without the Screen Wake Lock API: the page says so once; the session goes on.
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  await page.addInitScript(() => { delete Navigator.prototype.wakeLock; });
  await page.goto(cfg.url);
  await page.click('#start');
  await say(page, 'start');
  await reach(page, 'choosing', choosing);
  report.events = await page.evaluate(() => window.coachTrace.events.map((e) => e.type));
}
