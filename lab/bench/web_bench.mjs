// Opens N pages of the Stretch Coach page in Debian's headless chromium, all listening to the same
// speech file (each from when its Start is pressed, cfg.offsets_ms after the first), and returns
// each page's trace (microphone chunks and played audio) as JSON.
// Run by lab/bench/web_bench.py: node lab/bench/web_bench.mjs CONFIG.json (playwright-core from tests/web).
import { createRequire } from 'node:module';
import fs from 'node:fs';

const require = createRequire(new URL('../../tests/web/package.json', import.meta.url));
const { chromium } = require('playwright-core');
const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    `--use-file-for-fake-audio-capture=${cfg.wav}%noloop`, '--autoplay-policy=no-user-gesture-required',
    '--no-sandbox'],
});
const out = { pages: [] };
try {
  const pages = [];
  for (let i = 0; i < cfg.pages; i++) {
    const page = await browser.newPage();
    await page.goto(`${cfg.url}?trace`);
    await page.waitForFunction(() => window.coachTrace.events.some((e) => e.type === 'ready'));
    pages.push(page);
  }
  // Start on each page after its offset (all 0: the pages speak at the same moments)
  const offsets = cfg.offsets_ms || pages.map(() => 0);
  await Promise.all(pages.map((p, i) => p.waitForTimeout(offsets[i]).then(() => p.click('#start'))));
  await pages[0].waitForTimeout(cfg.listen_ms - Math.max(...offsets));
  for (const page of pages) {
    out.pages.push(await page.evaluate(() => ({
      chunks: window.coachTrace.chunks,
      events: window.coachTrace.events.filter((e) => ['audio', 'caption', 'speaking'].includes(e.type))
        .map((e) => ({ type: e.type, t: e.t, at: e.at, who: e.who, text: e.text })),
    })));
  }
} finally {
  await browser.close();
  process.stdout.write(JSON.stringify(out));
}
