// Drives the page's history view in Debian's headless chromium (playwright-core): a phone-sized
// page whose browser keeps the device secret cfg.secret (null: the page makes its own), opens
// Progress, waits for the charts, reads what the view shows and downloads both exports. Prints one
// JSON report; cfg.texts are typed to the coach first. Run by tests/web/test_history_view.py and lab/bench/history_view.py
// (`node history.mjs CONFIG.json`; cfg.runs > 1 opens the view that many times, for timing).
import fs from 'node:fs';
import { chromium } from 'playwright-core';

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const report = { shown: [], errors: [] };
const browser = await chromium.launch({ executablePath: cfg.chromium || '/usr/bin/chromium',
  args: ['--no-sandbox', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] });

// What the view shows: each figure's caption, whether a chart was drawn, its table's rows.
const view = () => ({
  say: document.getElementById('progress-say').textContent,
  people: [...document.querySelectorAll('#people button')].map((b) => [b.textContent, b.getAttribute('aria-pressed')]),
  figures: [...document.querySelectorAll('#charts figure')].map((f) => ({
    caption: f.querySelector('figcaption').textContent,
    canvas: f.querySelectorAll('canvas').length,
    chartWidth: (f.querySelector('.uplot') || { offsetWidth: 0 }).offsetWidth,
    tableCaption: f.querySelector('.chart-table caption').textContent,  // not uPlot's legend
    tableClass: f.querySelector('.chart-table').className,
    head: [...f.querySelectorAll('.chart-table thead th')].map((th) => th.textContent),
    rows: [...f.querySelectorAll('.chart-table tbody tr')].map((tr) => [...tr.cells].map((c) => c.textContent)),
  })),
  exportsShown: !document.getElementById('exports').hidden,
  pageWidth: document.documentElement.scrollWidth,
  events: window.coachTrace.events.filter((e) => e.type.startsWith('history') || e.type === 'export'),
  captions: [...document.querySelectorAll('#captions li')].reverse().map((li) => [li.dataset.who, li.textContent]),
});

async function download(page, button) {
  const [file] = await Promise.all([page.waitForEvent('download', { timeout: 10000 }), page.click(button)]);
  return { name: file.suggestedFilename(), text: fs.readFileSync(await file.path(), 'utf8') };
}

try {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, acceptDownloads: true });
  if (cfg.secret) await ctx.addInitScript((s) => localStorage.setItem('stretch.device', s), cfg.secret);
  let page = null;
  for (let run = 0; run < (cfg.runs || 1); run += 1) {  // each run a new tab: a new session
    if (page) await page.close();
    page = await ctx.newPage();
    page.on('console', (m) => { if (m.type() === 'error') report.errors.push(`console: ${m.text()}`); });
    const t0 = Date.now();
    await page.goto(cfg.url);
    await page.waitForFunction(() => window.coachTrace.events.some((e) => e.type === 'ready'), null, { timeout: 30000 });
    const ready = Date.now() - t0;
    for (const text of cfg.texts || []) {  // said to the coach first, as typed words
      await page.fill('#text', text);
      await page.press('#text', 'Enter');
      await page.waitForTimeout(cfg.pause_ms || 2000);
    }
    await page.click('#progress-open');
    await page.waitForFunction(() => window.coachTrace.events.some((e) => ['history-shown', 'history-refused']
      .includes(e.type) || (e.type === 'history-people' && e.count === 0)), null, { timeout: 30000 });
    const ev = await page.evaluate(() => window.coachTrace.events.find((e) => e.type === 'history-shown') || null);
    report.shown.push({ ready_ms: ready, person_ms: ev ? ev.ms : null, open_ms: ev ? ev.fromOpen : null,
      sessions: ev ? ev.sessions : 0 });
  }
  report.view = await page.evaluate(view);
  report.localSecret = await page.evaluate(() => localStorage.getItem('stretch.device'));
  if (cfg.shot) await page.screenshot({ path: cfg.shot, fullPage: true });
  if (cfg.exports && report.view.exportsShown) {
    report.csv = await download(page, '#export-csv');
    report.json = await download(page, '#export-json');
  }
} catch (err) {
  report.errors.push(String(err));
} finally {
  await browser.close();
  process.stdout.write(JSON.stringify(report));
}
