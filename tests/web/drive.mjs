// Drives the Stretch Coach page in Debian's headless chromium through one scenario: `node drive.mjs
// SCENARIO CONFIG.json` (tests/web/web_harness.drive) prints one JSON report on stdout, and the
// Python test asserts on it. The browser, the report and the waits are in drive_lib.mjs; the
// phone's scenarios in drive_phone.mjs.
import { browser, capturedAt, cfg, choosing, openPage, pausedByStop, reach, relay, report, routineIs,
  say, scenario, shown, snapshot, typeIntoHold } from './drive_lib.mjs';
import { nowake, phone } from './drive_phone.mjs';

async function voice() {
  // The microphone file says: start, a routine, next ... until the hold, then ouch.
  const page = await openPage(cfg.url);
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
  const page = await openPage(cfg.url);
  if (!(await typeIntoHold(page))) return;
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
  const page = await openPage(cfg.url);
  await page.click('#start');
  await reach(page, 'refused', () => window.coachTrace.events.some((e) => e.type === 'mic-failed'));
  await say(page, 'start');
  await reach(page, 'typed', choosing);
  await page.click('#stop');
  await reach(page, 'stopped', pausedByStop);
}

async function cutWhileChoosing(link) {
  // The page through the relay, typed "start", the routine question; then the link is cut when
  // the microphone has captured cfg.cut_at_s seconds.
  const page = await openPage(link.url);
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
  const mine = await browser.newContext();
  const page = await openPage(cfg.url, { context: mine });
  if (!(await typeIntoHold(page))) return;
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
