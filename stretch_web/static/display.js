// What the session looks like: the coach's view (docs/protocol.md) as the page shows it, the
// captions, the PAUSED banner and the hold ring counting down. Used by app.js.
'use strict';

const RING = 2 * Math.PI * 52;
const ROLE = ['First partner stretches, second partner helps', 'Second partner stretches, first partner helps'];
const byId = (id) => document.getElementById(id);

class SessionDisplay {
  constructor() {
    this.view = null;        // the coach's view of the session, as last sent
    this.viewAt = 0;         // performance.now() when it came: a running hold counts down from it
    this.stopShown = false;  // PAUSED shown for STOP until the coach's view says paused
  }

  caption(who, text) {
    const li = document.createElement('li');
    li.dataset.who = who;
    li.textContent = text;
    const list = byId('captions');
    list.prepend(li); // newest first: right under the hold ring, never behind the STOP button
    while (list.children.length > 6) list.removeChild(list.lastChild);
  }

  // The banner shows from the moment STOP is pressed (connected or not) until the coach's view
  // says otherwise.
  paused() {
    const v = this.view || {};
    if (v.paused) this.stopShown = false;
    const paused = Boolean(v.paused) || this.stopShown;
    document.body.classList.toggle('is-paused', paused);
    byId('paused').hidden = !paused;
    byId('paused-why').textContent = v.question === 'pain' && !this.stopShown
      ? 'The coach asked: how bad is it, zero to ten?'
      : 'Partner, release. Say “resume” when you’re ready.';
  }

  // The heading and the step follow the coach's view: its routine and step while one runs, else
  // a line for its phase (before a session, choosing a routine, after it).
  show(s) {
    this.view = s;
    this.viewAt = performance.now();
    this.paused();
    if (s.routine) {
      byId('routine').textContent = s.routine;
      byId('step').textContent = `Step ${s.step} of ${s.steps}` + (s.side && s.side !== 'both' ? ` · ${s.side} leg` : '');
      byId('instruction').textContent = s.instruction;
      byId('who').hidden = false;
      byId('actor').dataset.actor = s.actor;
      byId('actor').textContent = { partner: 'Your partner does this', both: 'Both of you' }[s.actor]
        || 'You do this';
      byId('role').textContent = ROLE[s.role] || '';
    } else {
      byId('routine').textContent = { idle: 'Say “start” when you’re both ready', choosing: 'Pick a routine',
        ended: 'Session over. Say “start” for a new one' }[s.phase] || '';
      byId('step').textContent = s.phase === 'choosing' ? 'Kneeling, seated, standing, or wrist pull' : '';
      byId('instruction').textContent = '';
      byId('who').hidden = true;
    }
    drawFigure(byId('figure'), s.variant);
    byId('hold').hidden = !s.hold;
  }

  tick() {
    const h = this.view && this.view.hold;
    if (h) {
      const gone = h.paused ? 0 : (performance.now() - this.viewAt) / 1000 / h.scale;
      const left = Math.max(0, h.remaining - gone);
      byId('seconds').textContent = Math.ceil(left);
      byId('ring').style.strokeDashoffset = String(RING * (1 - (h.length ? left / h.length : 0)));
      byId('hold').dataset.phase = h.phase;
      byId('hold').dataset.paused = String(h.paused);
      byId('rep').textContent = h.phase === 'hold' ? `${h.rep} of ${h.reps}` : `rest · ${h.rep} of ${h.reps} done`;
    }
    requestAnimationFrame(() => this.tick());
  }
}

window.SessionDisplay = SessionDisplay;
