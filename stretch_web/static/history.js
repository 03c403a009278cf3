// The history view: the people this device has seen, and one person's progress as charts
// (charts.js), with CSV and JSON downloads. Read over the page's WebSocket: the gateway asks the
// coach's history API with this device's secret (docs/protocol.md, docs/history.md).
'use strict';

const DEVICE_KEY = 'stretch.device';

// This browser's device secret: 32 random bytes, base64url, kept in localStorage (a page that
// may not keep it gets one for this visit only, and so sees no history next time).
function deviceSecret() {
  let secret = null;
  try { secret = localStorage.getItem(DEVICE_KEY); } catch (e) { /* storage refused */ }
  if (secret && /^[A-Za-z0-9_-]{22,128}$/.test(secret)) return secret;
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  secret = btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  try { localStorage.setItem(DEVICE_KEY, secret); } catch (e) { /* this visit only */ }
  return secret;
}

class ProgressView {
  // send(msg) sends a message to the gateway (queued while the link is down); note(type, extra)
  // records what happened for the tests and the benchmark.
  constructor(send, note) {
    this.send = send;
    this.note = note;
    this.person = null;   // whose history is shown
    this.asked = 0;       // performance.now() of the last request
    this.opened = 0;      // and of the last time the view was opened
    this.charts = [];
    const el = (id) => document.getElementById(id);
    this.el = { box: el('progress'), people: el('people'), say: el('progress-say'), charts: el('charts'),
      exports: el('exports') };
    el('progress-open').addEventListener('click', () => this.open());
    el('progress-close').addEventListener('click', () => this.close());
    el('export-csv').addEventListener('click', () => this.send({ type: 'export', person: this.person, format: 'csv' }));
    el('export-json').addEventListener('click', () => this.send({ type: 'export', person: this.person, format: 'json' }));
  }

  open() {
    this.opened = performance.now();
    this.el.box.hidden = false;
    document.body.classList.add('in-progress');
    this.say('Loading…');
    this.ask(null);
  }

  close() {
    this.el.box.hidden = true;
    document.body.classList.remove('in-progress');
    for (const c of this.charts) c.destroy();
    this.charts = [];
  }

  ask(person) {
    this.asked = performance.now();
    this.send({ type: 'history', person });
  }

  say(text) { this.el.say.textContent = text; this.el.say.hidden = !text; }

  // An answer of the gateway: `history` (people, or one person's history), `export`, or an error.
  receive(m) {
    if (m.type === 'export') { this.download(m); return; }
    if (m.type === 'error') {
      this.say(m.message);
      this.el.exports.hidden = true;
      this.note('history-refused', { code: m.code });
      return;
    }
    if (m.person === null) { this.showPeople(m.people || []); return; }
    if (m.person !== this.person) return;  // an older request's answer
    this.show(m.history);
  }

  showPeople(people) {
    this.el.people.textContent = '';
    if (!people.length) {
      this.say('No history on this device yet. Tell the coach your names ("I’m Alex, Sam is helping") and it keeps one.');
      this.el.exports.hidden = true;
      this.note('history-people', { count: 0 });
      return;
    }
    for (const p of people) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = p.name;
      b.dataset.person = p.id;
      b.addEventListener('click', () => this.choose(p.id));
      this.el.people.appendChild(b);
    }
    this.note('history-people', { count: people.length });
    this.choose(people[0].id);
  }

  choose(id) {
    this.person = id;
    for (const b of this.el.people.children) b.setAttribute('aria-pressed', String(b.dataset.person === id));
    this.ask(id);
  }

  show(history) {
    for (const c of this.charts) c.destroy();
    const n = history.sessions.length;
    this.say(n ? `${history.person.name}: ${n} session${n === 1 ? '' : 's'}` : `${history.person.name}: no sessions yet.`);
    this.charts = drawCharts(this.el.charts, history);
    this.el.exports.hidden = false;
    const now = performance.now();
    this.note('history-shown', { ms: now - this.asked, fromOpen: now - this.opened, sessions: n, charts: this.charts.length });
  }

  download(m) {
    const text = m.format === 'json' ? JSON.stringify(m.data, null, 2) : m.data;
    const url = URL.createObjectURL(new Blob([text], { type: m.format === 'json' ? 'application/json' : 'text/csv' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = m.name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    this.note('export', { format: m.format, bytes: text.length });
  }
}

window.deviceSecret = deviceSecret;
window.ProgressView = ProgressView;
