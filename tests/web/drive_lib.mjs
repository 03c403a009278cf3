// What drive.mjs's scenarios share: the browser (Debian's headless chromium through playwright-core,
// no downloaded browser), the report printed at the end, waits that are reported rather than
// thrown (so the test can say which state never came), what the page shows, and a relay that can
// cut the network between the page and the gateway.
import fs from 'node:fs';
import net from 'node:net';
import { chromium } from 'playwright-core';

export const [scenario, configPath] = process.argv.slice(2);
export const cfg = JSON.parse(fs.readFileSync(configPath, 'utf8'));
export const report = { scenario, reached: {}, snapshots: {}, errors: [] };

export const args = ['--use-fake-device-for-media-stream', '--autoplay-policy=no-user-gesture-required',
  '--no-sandbox'];
if (scenario !== 'nomic') args.push('--use-fake-ui-for-media-stream'); // else the mic is refused
if (cfg.wav) args.push(`--use-file-for-fake-audio-capture=${cfg.wav}%noloop`);
export const browser = await chromium.launch({ executablePath: cfg.chromium || '/usr/bin/chromium', args });

export async function snapshot(page, name) {
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

export async function reach(page, name, fn, arg, timeout) {
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

export const shown = (id) => !document.getElementById(id).hidden;
// The coach's answer to STOP: a "paused" reply captioned after the button's "STOP".
export const pausedByStop = () => {
  const caps = [...document.querySelectorAll('#captions li')].reverse().map((li) => [li.dataset.who, li.textContent]);
  const at = caps.findLastIndex(([who, text]) => who === 'you' && text === 'STOP');
  return at >= 0 && caps.slice(at + 1).some(([who, text]) => who === 'coach' && /paused/i.test(text))
    && !document.getElementById('paused').hidden;
};
export const choosing = () => document.getElementById('routine').textContent.includes('Pick');
export const say = async (page, text) => { await page.fill('#text', text); await page.press('#text', 'Enter'); };
export const routineIs = (word) => document.getElementById('routine').textContent.toLowerCase().includes(word);

// A new page (in `context`: the browser's default one unless given) whose console errors go into
// the report, opened at `url`.
export async function openPage(url, { context = browser, viewport = { width: 430, height: 1000 } } = {}) {
  const page = await context.newPage({ viewport });
  page.on('console', (m) => { if (m.type() === 'error') report.errors.push(`console: ${m.text()}`); });
  await page.goto(url);
  return page;
}

// Start pressed, the link up, then cfg.texts typed one by one: whether a hold came of it.
export async function typeIntoHold(page) {
  await page.click('#start');
  await reach(page, 'connected', () => window.coachTrace.events.some((e) => e.type === 'ready'));
  for (const text of cfg.texts) {
    await say(page, text);
    await page.waitForTimeout(cfg.pause_ms || 1500);
  }
  return reach(page, 'hold', shown, 'hold');
}

// A TCP relay between the page and the gateway that can be cut (every connection through it
// reset, new ones refused) and restored: a network that drops, as far as the browser can tell.
// `cut('socket')` refuses only WebSocket upgrades, so that the page itself can still be loaded.
export function relay(targetPort) {
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

export const capturedAt = (page, seconds) => page.waitForFunction(
  (n) => window.coachTrace.captured >= n, seconds * 16000, { timeout: cfg.timeout_ms || 60000, polling: 50 });
