// Drives the Stretch Coach page in Debian's headless chromium (playwright-core, no downloaded
// browser). Run by tests/web/test_browser.py: `node drive.mjs SCENARIO CONFIG.json`; prints one
// JSON report on stdout; the Python test asserts on it. Waits have timeouts and a timeout is
// reported (not thrown), so the test can say which state never came.
import net from 'node:net';
import { chromium } from 'playwright-core';

const [scenario, configPath] = process.argv.slice(2);
const fs = await import('node:fs');
const cfg = JSON.parse(fs.readFileSync(configPath, 'utf8'));
const report = { scenario, reached: {}, snapshots: {}, errors: [] };

const args = ['--use-fake-device-for-media-stream', '--autoplay-policy=no-user-gesture-required',
  '--no-sandbox'];
if (scenario !== 'nomic') args.push('--use-fake-ui-for-media-stream'); // else the mic is refused
if (cfg.wav) args.push(`--use-file-for-fake-audio-capture=${cfg.wav}%noloop`);
const browser = await chromium.launch({ executablePath: cfg.chromium || '/usr/bin/chromium', args });

async function snapshot(page, name) {
  if (cfg.shots) await page.screenshot({ path: `${cfg.shots}/${name}.png` });
  report.snapshots[name] = await page.evaluate(() => ({
    routine: document.getElementById('routine').textContent,
    step: document.getElementById('step').textContent,
    instruction: document.getElementById('instruction').textContent,
    actor: document.getElementById('actor').textContent,
    holdVisible: !document.getElementById('hold').hidden,
    seconds: document.getElementById('seconds').textContent,
    rep: document.getElementById('rep').textContent,
    pausedVisible: !document.getElementById('paused').hidden,
    pausedText: document.getElementById('paused').innerText,
    tapVisible: !document.getElementById('tap').hidden,
    tapText: document.getElementById('tap').innerText,
    startVisible: !document.getElementById('start').hidden,
    holdPaused: document.getElementById('hold').dataset.paused || null,
    figure: (document.querySelector('#figure svg') || {}).dataset?.figure || null,
    // the page shows the newest caption first; the tests read them in the order they came
    captions: [...document.querySelectorAll('#captions li')].reverse().map((li) => [li.dataset.who, li.textContent]),
    link: document.getElementById('link').textContent,
    notice: document.getElementById('notice').hidden ? null : document.getElementById('notice').textContent,
    trace: JSON.parse(JSON.stringify(window.coachTrace)),
  }));
}

async function reach(page, name, fn, arg, timeout) {
  try {
    await page.waitForFunction(fn, arg, { timeout: timeout || cfg.timeout_ms || 60000, polling: 100 });
    report.reached[name] = true;
    await snapshot(page, name);
  } catch (err) {
    report.reached[name] = false;
    report.errors.push(`${name}: ${String(err).split('\n')[0]}`);
    await snapshot(page, `${name}-timeout`);
  }
  return report.reached[name];
}

const shown = (id) => !document.getElementById(id).hidden;
// The coach's answer to STOP: a "paused" reply captioned after the button's "STOP".
const pausedByStop = () => {
  const caps = [...document.querySelectorAll('#captions li')].reverse().map((li) => [li.dataset.who, li.textContent]);
  const at = caps.findLastIndex(([who, text]) => who === 'you' && text === 'STOP');
  return at >= 0 && caps.slice(at + 1).some(([who, text]) => who === 'coach' && /paused/i.test(text))
    && !document.getElementById('paused').hidden;
};
const choosing = () => document.getElementById('routine').textContent.includes('Pick');
const say = async (page, text) => { await page.fill('#text', text); await page.press('#text', 'Enter'); };
const routineIs = (word) => document.getElementById('routine').textContent.toLowerCase().includes(word);

async function voice() {
  // The microphone file says: start, a routine, next ... until the hold, then ouch.
  const page = await browser.newPage({ viewport: { width: 430, height: 1000 } });
  page.on('console', (m) => { if (m.type() === 'error') report.errors.push(`console: ${m.text()}`); });
  await page.goto(cfg.url);
  await page.click('#start');
  await reach(page, 'choosing', choosing);
  await reach(page, 'routine', routineIs, cfg.routine_word);
  await reach(page, 'hold', shown, 'hold');
  await reach(page, 'paused', shown, 'paused');
  await page.waitForTimeout(1500); // the coach's answer to "ouch" plays
  await snapshot(page, 'end');
}

async function typed() {
  // No microphone input: typed text drives the session; then reload mid-hold, STOP, two pages.
  const page = await browser.newPage({ viewport: { width: 430, height: 1000 } });
  await page.goto(cfg.url);
  await page.click('#start');
  await reach(page, 'connected', () => window.coachTrace.events.some((e) => e.type === 'ready'));
  for (const text of cfg.texts) {
    await say(page, text);
    await page.waitForTimeout(cfg.pause_ms || 1500);
  }
  if (!(await reach(page, 'hold', shown, 'hold'))) return;
  report.session = await page.evaluate(() => sessionStorage.getItem('stretch-coach-session'));
  await page.reload();
  await reach(page, 'reloaded', () => document.getElementById('link').textContent.includes('resumed')
    && !document.getElementById('hold').hidden);
  report.sessionAfterReload = await page.evaluate(() => sessionStorage.getItem('stretch-coach-session'));
  await page.click('#tap');
  await reach(page, 'tapped', () => window.coachTrace.events.some((e) => e.type === 'mic-open')
    && document.getElementById('tap').hidden);
  const other = await browser.newPage();
  await other.goto(cfg.url);
  await other.waitForFunction(() => window.coachTrace.events.some((e) => e.type === 'ready'));
  report.otherSession = await other.evaluate(() => sessionStorage.getItem('stretch-coach-session'));
  report.otherRoutine = await other.textContent('#routine');
  report.statusTwoPages = await (await fetch(`${cfg.url}status`)).json();
  await other.close();
  const playedBefore = await page.evaluate(() => window.coachTrace.played.samples);
  await page.click('#stop');
  report.pausedAtOnce = await page.evaluate(() => !document.getElementById('paused').hidden);
  await reach(page, 'stopped', pausedByStop);
  await reach(page, 'answer-played', (n) => window.coachTrace.played.samples > n, playedBefore);
  await reach(page, 'paused-hold', () => document.getElementById('hold').dataset.paused === 'true');
  await page.click('#resume');
  await reach(page, 'resumed', () => document.getElementById('paused').hidden
    && document.getElementById('hold').dataset.paused === 'false');
  await page.click('#stop');
  await reach(page, 'stopped-again', () => document.getElementById('hold').dataset.paused === 'true'
    && !document.getElementById('paused').hidden);
  await page.click('#end');
  await reach(page, 'ended', () => document.getElementById('routine').textContent.includes('Session over')
    && document.getElementById('hold').hidden && document.getElementById('paused').hidden);
  await page.waitForTimeout((cfg.linger_s + 1.5) * 1000);
  report.statusAfterClose = await (await fetch(`${cfg.url}status`)).json();
}

async function nomic() {
  // The microphone is refused: the page says so; typing and STOP still work.
  const page = await browser.newPage({ viewport: { width: 430, height: 1000 } });
  await page.goto(cfg.url);
  await page.click('#start');
  await reach(page, 'refused', () => window.coachTrace.events.some((e) => e.type === 'mic-failed'));
  await say(page, 'start');
  await reach(page, 'typed', choosing);
  await page.click('#stop');
  await reach(page, 'stopped', pausedByStop);
}

// A TCP relay between the page and the gateway that can be cut (every connection through it
// reset, new ones refused) and restored: a network that drops, as far as the browser can tell.
// `cut('socket')` refuses only WebSocket upgrades, so that the page itself can still be loaded.
function relay(targetPort) {
  const open = new Set();
  let down = null;
  const server = net.createServer((client) => {
    if (down === 'all') { client.destroy(); return; }
    client.once('data', (first) => {
      if (down && /^upgrade:\s*websocket/im.test(first.toString('latin1'))) { client.destroy(); return; }
      const upstream = net.connect(targetPort, '127.0.0.1');
      const end = () => { client.destroy(); upstream.destroy(); open.delete(client); open.delete(upstream); };
      for (const s of [client, upstream]) { open.add(s); s.on('error', end); s.on('close', end); }
      upstream.write(first);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    client.on('error', () => client.destroy());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}/`,
    cut(mode = 'all') {
      down = mode;
      for (const s of open) s.resetAndDestroy ? s.resetAndDestroy() : s.destroy();
      open.clear();
    },
    restore() { down = null; },
    close() { this.cut(); server.close(); },
  })));
}

const capturedAt = (page, seconds) => page.waitForFunction(
  (n) => window.coachTrace.captured >= n, seconds * 16000, { timeout: cfg.timeout_ms || 60000, polling: 50 });

async function cutWhileChoosing(link) {
  // The page through the relay, typed "start", the routine question; then the link is cut when
  // the microphone has captured cfg.cut_at_s seconds.
  const page = await browser.newPage({ viewport: { width: 430, height: 1000 } });
  page.on('console', (m) => { if (m.type() === 'error') report.errors.push(`console: ${m.text()}`); });
  await page.goto(link.url);
  await page.click('#start');
  await reach(page, 'connected', () => window.coachTrace.events.some((e) => e.type === 'ready'));
  await say(page, 'start');
  await reach(page, 'choosing', choosing);
  await capturedAt(page, cfg.cut_at_s);
  link.cut();
  report.cutAtSample = await page.evaluate(() => window.coachTrace.captured);
  await reach(page, 'down', () => window.coachTrace.events.some((e) => e.type === 'link-down'));
  return page;
}

async function reconnect() {
  // Typed "start"; the microphone file says "ouch" at cfg.ouch_at_s. The link is cut while the
  // word is spoken and restored after it (times in microphone samples, not the wall clock).
  const link = await relay(Number(new URL(cfg.url).port));
  try {
    const page = await cutWhileChoosing(link);
    await capturedAt(page, cfg.restore_at_s);
    report.restoredAtSample = await page.evaluate(() => window.coachTrace.captured);
    link.restore();
    await reach(page, 'resent', () => window.coachTrace.resent.times > 0);
    await reach(page, 'paused', shown, 'paused');
    report.status = await (await fetch(`${cfg.url}status`)).json();
    report.session = await page.evaluate(() => sessionStorage.getItem('stretch-coach-session'));
  } finally {
    link.close();
  }
}

async function reloadWhileDown() {
  // As reconnect, but STOP is pressed while the link is down and the page is reloaded before it
  // comes back (only the WebSocket is refused, so the page loads): the reloaded page must send the
  // kept "ouch" and the STOP that the old page could not.
  const link = await relay(Number(new URL(cfg.url).port));
  try {
    const page = await cutWhileChoosing(link);
    report.session = await page.evaluate(() => sessionStorage.getItem('stretch-coach-session'));
    await capturedAt(page, cfg.stop_at_s);
    await page.click('#stop');
    report.capturedBeforeReload = await page.evaluate(() => window.coachTrace.captured);
    link.cut('socket');
    await page.reload();
    await reach(page, 'reloaded-down', () => window.coachTrace.events.some((e) => e.type === 'link-down')
      && !document.getElementById('paused').hidden);
    link.restore();
    await reach(page, 'stopped', () => window.coachTrace.events.some((e) => e.type === 'stopped'));
    await reach(page, 'heard', () => [...document.querySelectorAll('#captions li')]
      .some((li) => li.dataset.who === 'you' && /ouch/i.test(li.textContent)));
    await reach(page, 'paused', () => /zero to ten/.test(document.getElementById('paused').innerText));
    report.status = await (await fetch(`${cfg.url}status`)).json();
    report.sessionAfterReload = await page.evaluate(() => sessionStorage.getItem('stretch-coach-session'));
  } finally {
    link.close();
  }
}

// --- a phone: installable, the screen kept on, recovery after a hide, offline from cache -------

// What the page holds of the parts a phone suspends (window.coachParts, set by app.js).
const parts = () => {
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
const hide = async () => {
  const { mic, awake, sound } = window.coachParts;
  Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
  document.dispatchEvent(new Event('visibilitychange'));
  if (awake.sentinel) await awake.sentinel.release();
  await sound().suspend();
  await mic.ctx.suspend();
  mic.track.stop();
};
const unhide = () => {
  delete document.visibilityState;  // the browser's own (visible) again
  document.dispatchEvent(new Event('visibilitychange'));
};

// Microphone samples the gateway has received, over all its pages.
const received = async () => (await (await fetch(`${cfg.url}status`)).json()).pages
  .reduce((sum, p) => sum + p.received_samples, 0);

async function phone() {
  // A browser profile of its own, as a phone's (an incognito context cannot install an app)
  const profile = fs.mkdtempSync(`${(await import('node:os')).tmpdir()}/stretch-phone-`);
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: cfg.chromium || '/usr/bin/chromium', args, viewport: { width: 390, height: 844 } });
  const link = await relay(Number(new URL(cfg.url).port));
  try {
    const page = await ctx.newPage();
    page.on('console', (m) => { if (m.type() === 'error') report.errors.push(`console: ${m.text()}`); });
    await page.goto(link.url);
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

async function nowake() {
  // A browser without the Screen Wake Lock API: the page says so once; the session goes on.
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  await page.addInitScript(() => { delete Navigator.prototype.wakeLock; });
  await page.goto(cfg.url);
  await page.click('#start');
  await say(page, 'start');
  await reach(page, 'choosing', choosing);
  report.events = await page.evaluate(() => window.coachTrace.events.map((e) => e.type));
}

async function busy() {
  // The gateway has room for one page: the first is taken, the second is told the coach is busy
  // (shown at once, said when Start gives it sound).
  const first = await browser.newPage();
  await first.goto(cfg.url);
  await reach(first, 'first', () => window.coachTrace.events.some((e) => e.type === 'ready'));
  const page = await browser.newPage();
  await page.goto(cfg.url);
  await reach(page, 'refused', () => window.coachTrace.errors.some((e) => e.code === 'busy')
    && !document.getElementById('notice').hidden);
  await page.click('#start');
  await reach(page, 'said', () => window.coachTrace.played.samples > 0);
  await page.waitForTimeout(500);
  await snapshot(page, 'said');
}

const gatewayOf = async (context) => ((await context.cookies()).find((c) => c.name === 'COACH_GATEWAY') || {}).value;

async function attachedPages() {
  // pages attached to each gateway, asked of each directly (a dead one: null)
  const out = {};
  for (const [name, port] of Object.entries(cfg.gateways)) {
    try { out[name] = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()).attached; } catch (e) { out[name] = null; }
  }
  return out;
}

async function failover() {
  // make cluster's page through the balancer: typed text into a hold on one gateway, a second page
  // on the other gateway; the first page's gateway is killed (SIGKILL) while its microphone says
  // "ouch" (cfg.kill_at_s, in microphone samples). The page reconnects through the balancer to the
  // other gateway, which takes its session over: resumed, and the coach hears the whole "ouch".
  const mine = await browser.newContext({ viewport: { width: 430, height: 1000 } });
  const page = await mine.newPage();
  page.on('console', (m) => { if (m.type() === 'error') report.errors.push(`console: ${m.text()}`); });
  await page.goto(cfg.url);
  await page.click('#start');
  await reach(page, 'connected', () => window.coachTrace.events.some((e) => e.type === 'ready'));
  for (const text of cfg.texts) {
    await say(page, text);
    await page.waitForTimeout(cfg.pause_ms || 1500);
  }
  if (!(await reach(page, 'hold', shown, 'hold'))) return;
  const theirs = await browser.newContext();
  const other = await theirs.newPage();
  await other.goto(cfg.url);
  await reach(other, 'other', () => window.coachTrace.events.some((e) => e.type === 'ready'));
  report.gateway = await gatewayOf(mine);
  report.otherGateway = await gatewayOf(theirs);
  report.attachedBefore = await attachedPages();
  report.session = await page.evaluate(() => sessionStorage.getItem('stretch-coach-session'));
  report.otherSession = await other.evaluate(() => sessionStorage.getItem('stretch-coach-session'));
  await capturedAt(page, cfg.kill_at_s);
  report.killedAt = await page.evaluate(() => performance.now());
  process.kill(cfg.pids[report.gateway], 'SIGKILL');
  report.killedAtSample = await page.evaluate(() => window.coachTrace.captured);
  await reach(page, 'down', (t) => window.coachTrace.events.some((e) => e.type === 'link-down' && e.t > t), report.killedAt);
  await reach(page, 'resumed', (t) => window.coachTrace.events.some((e) => e.type === 'ready' && e.t > t)
    && document.getElementById('link').textContent.includes('resumed'), report.killedAt, 15000);
  await reach(page, 'paused', () => /zero to ten/.test(document.getElementById('paused').innerText)
    && !document.getElementById('paused').hidden, undefined, 20000);
  report.attachedAfter = await attachedPages();
  report.sessionAfter = await page.evaluate(() => sessionStorage.getItem('stretch-coach-session'));
  await say(other, 'start');
  await reach(other, 'other-served', choosing);
}

try {
  await ({ voice, typed, nomic, reconnect, reloadWhileDown, phone, nowake, busy, failover })[scenario]();
} catch (err) {
  report.errors.push(String(err));
} finally {
  await browser.close();
  process.stdout.write(JSON.stringify(report));
}
