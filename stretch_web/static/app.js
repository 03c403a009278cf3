// Stretch Coach page: microphone -> gateway (WebSocket, 16 kHz s16le), spoken replies <- gateway,
// and the coach's view of the session, shown as the coach sends it. Protocol: docs/protocol.md.
'use strict';

const $ = (id) => document.getElementById(id);
const SESSION_KEY = 'stretch-coach-session'; // per tab: a reload resumes, a new tab is new
// The microphone stream of this page load: samples are numbered from 0 and the last BACKLOG_S
// seconds are kept, so that what is said while the link is down (and what was in flight when it
// dropped) is sent on reconnect. The gateway says how much of the stream it has (stretch_web/stream.py).
// A reload in the same tab continues the stream (see `keepForReload`), so that nothing said or
// pressed while the link was down is lost with the old page.
const PENDING_KEY = 'stretch-coach-pending';
const BACKLOG_S = 15;
const ALIVE_MS = 10000;     // no word from the gateway this long while connected: the link is dead

// What the page did, for the tests and the benchmark (times from performance.now()). With ?trace
// in the address every audio frame and microphone chunk is kept (the benchmark); otherwise only
// the last few hundred events, so a long session does not grow the page.
const TRACE = new URLSearchParams(location.search).has('trace');
const trace = window.coachTrace = {
  events: [], chunks: [], sent: { chunks: 0, samples: 0, peak: 0, messages: 0 },
  played: { frames: 0, samples: 0, peak: 0, firstAt: null }, flushes: 0, errors: [],
  resent: { times: 0, samples: 0, lost: 0 }, captured: 0,
};
const note = (type, extra) => {
  if (type === 'audio' && !TRACE) return;
  trace.events.push({ type, t: performance.now(), ...extra });
  if (!TRACE && trace.events.length > 500) trace.events.splice(0, 100);
};

let ws = null;
let ready = false;
let closedForGood = false;
let linkTrouble = false;    // the notice shows a connection problem (cleared when connected)
let coachDown = false;      // the notice says the coach is unreachable (cleared when it speaks)
let outbox = [];            // text messages waiting for the connection (typed text, STOP)
let playCtx = null;         // playback
let playAt = 0;             // when the next audio block starts
let playing = [];           // scheduled sources, stopped on flush
let captured = 0;           // microphone samples so far (this page load)
let kept = [];              // [first sample, PCM] of the last BACKLOG_S seconds
let keptSamples = 0;
let heardAt = 0;            // performance.now() of the last message from the gateway
let downAt = 0;             // samples sent when the link last went down
let sentTo = 0;             // samples of the stream sent so far (held ones are not)
let stopping = false;       // STOP pressed, the gateway has not confirmed it yet: no coach audio
let started = false;        // Start (or Tap to resume) pressed: sound and microphone on
let busyAudio = null;       // the gateways are full: their spoken "busy", kept until Start is pressed
const display = new SessionDisplay();
const mic = new Mic(onMicChunk);
const awake = new ScreenAwake((type, extra) => note(type, extra), () => showNotice(
  'This browser cannot keep the screen on: set a longer screen timeout for the session.'));
const DEVICE = deviceSecret();  // this browser's; the coach keeps history by it (docs/history.md)
const progress = new ProgressView(sendJSON, note);
// The parts a phone suspends and the page recovers, for the tests (tests/web/drive.mjs).
window.coachParts = { mic, awake, sound: () => playCtx };
let STREAM = (self.crypto && crypto.randomUUID ? crypto.randomUUID()
  : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`);

// --- reload ------------------------------------------------------------------------------------

// As the page goes away: what the gateway may not have yet (the kept microphone audio, typed text
// not sent, a STOP not confirmed) goes to sessionStorage; the reloaded page takes it back, names
// the same stream in its hello and sends what the gateway lacks, as after any reconnect.
function keepForReload() {
  if (!kept.length && !outbox.length && !stopping) return;
  const pcm = new Uint8Array(keptSamples * 2);
  let off = 0;
  for (const [, chunk] of kept) { pcm.set(new Uint8Array(chunk), off); off += chunk.byteLength; }
  let bin = '';
  for (let i = 0; i < pcm.length; i += 0x8000) bin += String.fromCharCode(...pcm.subarray(i, i + 0x8000));
  try {
    sessionStorage.setItem(PENDING_KEY, JSON.stringify({
      stream: STREAM, captured, downAt: ready ? sentTo : downAt, from: kept.length ? kept[0][0] : captured,
      pcm: btoa(bin), outbox, stopping,
    }));
  } catch (e) { /* storage full or refused: the reload starts a new stream, as before */ }
}

function takeBackAfterReload() {
  const raw = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  if (!raw) return;
  try {
    const p = JSON.parse(raw);
    const bin = atob(p.pcm);
    const pcm = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) pcm[i] = bin.charCodeAt(i);
    STREAM = p.stream;
    captured = p.captured;
    downAt = p.downAt;
    kept = [];  // back in 20 ms chunks, as captured (a frame may hold at most a second)
    for (let i = 0; i < pcm.length; i += 640) kept.push([p.from + i / 2, pcm.slice(i, i + 640).buffer]);
    keptSamples = pcm.length / 2;
    outbox = p.outbox || [];
    stopping = display.stopShown = Boolean(p.stopping);
    trace.captured = captured;
    note('taken-back', { samples: keptSamples, texts: outbox.length, stopping });
  } catch (e) { /* a damaged record: start afresh */ }
}

// --- connection --------------------------------------------------------------------------------

function connect() {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const sock = new WebSocket(`${proto}//${location.host}/ws`);
  ws = sock;
  sock.binaryType = 'arraybuffer';
  setLink('connecting', 'connecting…');
  sock.onopen = () => sock.send(JSON.stringify({
    type: 'hello', session: sessionStorage.getItem(SESSION_KEY), stream: STREAM, device: DEVICE,
    rate: 16000, channels: 1, format: 's16le',
  }));
  sock.onmessage = (ev) => {
    if (sock !== ws) return;
    heardAt = performance.now();
    if (typeof ev.data === 'string') onMessage(JSON.parse(ev.data)); else onAudio(ev.data);
  };
  sock.onclose = () => { if (sock === ws) linkDown(); };
}

function linkDown() {
  if (ready) downAt = sentTo;
  ready = false;
  note('link-down');
  if (closedForGood) return;
  setLink('closed', 'reconnecting…');
  if (started) {
    showNotice('Connection lost, reconnecting. Keep talking: what you say is kept and sent when it is back.');
    linkTrouble = true;
  }
  setTimeout(connect, 1000);
}

// A link that dies without closing (Wi-Fi gone) is noticed by silence: the page pings, the
// gateway answers; with nothing heard for ALIVE_MS the socket is dropped and a new one made.
setInterval(() => {
  if (!ready || ws.readyState !== WebSocket.OPEN) return;
  if (performance.now() - heardAt > ALIVE_MS) {
    const dead = ws;
    ws = null;
    try { dead.close(); } catch (e) { /* already closing */ }
    linkDown();
    return;
  }
  ws.send(JSON.stringify({ type: 'ping', t: Math.round(performance.now()) }));
}, 3000);

// The microphone: every chunk is kept (the last BACKLOG_S seconds) and sent if connected. Once
// the room has been quiet for QUIET_MS, chunks go out QUIET_BATCH at a time (fewer messages for a
// silent page); a loud chunk goes at once with what was held, so the end of an utterance is not
// delayed unless the whole utterance stays under QUIET_PEAK (then by up to two chunks).
const QUIET_PEAK = 600;  // a chunk whose loudest sample is under this is quiet
const QUIET_MS = 1000;
const QUIET_BATCH = 3;
const HELD_MS = 100;     // held chunks go anyway when no chunk follows this long (capture stopped)
let held = [];      // quiet chunks not sent yet
let heldTimer = null;
let quietFor = 0;   // ms of quiet chunks in a row
function captureChunk(pcm, peak) {
  const n = pcm.byteLength / 2;
  kept.push([captured, pcm]);
  captured += n;
  keptSamples += n;
  while (keptSamples - kept[0][1].byteLength / 2 >= BACKLOG_S * 16000) {
    keptSamples -= kept.shift()[1].byteLength / 2;
  }
  trace.captured = captured;
  if (!ready || !ws || ws.readyState !== WebSocket.OPEN) {
    held = [];  // kept, and not counted in sentTo: a reconnect resends it
    return false;
  }
  quietFor = peak < QUIET_PEAK ? quietFor + n / 16 : 0;
  held.push(pcm);
  clearTimeout(heldTimer);
  if (quietFor < QUIET_MS || held.length >= QUIET_BATCH) sendHeld();
  else heldTimer = setTimeout(sendHeld, HELD_MS);
  return true;
}

// What is held, as one message (sent before any message that follows it, a STOP included).
function sendHeld() {
  if (!held.length || !ws || ws.readyState !== WebSocket.OPEN) return;
  const samples = held.reduce((sum, b) => sum + b.byteLength / 2, 0);
  trace.sent.messages += 1;
  sentTo += samples;
  if (held.length === 1) {
    ws.send(held[0]);
  } else {
    const out = new Int16Array(samples);
    let at = 0;
    for (const b of held) { out.set(new Int16Array(b), at); at += b.byteLength / 2; }
    ws.send(out.buffer);
  }
  held = [];
}

// After (re)connecting: send what the gateway does not have of this stream, from `heard` on.
function resend(heard) {
  held = [];  // in kept: sent below if the gateway lacks it
  sentTo = captured;
  const todo = [];
  for (const [at, pcm] of kept) {
    const n = pcm.byteLength / 2;
    if (at + n <= heard) continue;
    todo.push(at >= heard ? [at, pcm] : [heard, pcm.slice((heard - at) * 2)]);
  }
  if (!todo.length) return;
  const from = todo[0][0];
  const samples = todo.reduce((sum, [, pcm]) => sum + pcm.byteLength / 2, 0);
  ws.send(JSON.stringify({ type: 'resend', from, samples }));
  for (const [, pcm] of todo) ws.send(pcm);
  trace.resent.times += 1;
  trace.resent.samples += samples;
  note('resent', { from, samples, heard });
  if (from > heard) {
    trace.resent.lost += from - heard;
    showNotice(`The connection was down for longer than ${BACKLOG_S} s: only the last ${BACKLOG_S} s `
      + 'of what you said were sent. If something hurts, say it again.');
  }
}

function setLink(s, text) { $('link').dataset.state = s; $('link').textContent = text; }

function sendJSON(msg) {
  if (ready && ws.readyState === WebSocket.OPEN) {
    sendHeld();
    ws.send(JSON.stringify(msg));
  } else outbox.push(msg);   // nothing typed is lost while reconnecting
}

function onMessage(m) {
  note(m.type, m.type === 'caption' || m.type === 'speaking' ? { who: m.who, text: m.text }
    : m.type === 'view' ? { phase: m.view.phase } : {});
  switch (m.type) {
    case 'ready':
      ready = true;
      sessionStorage.setItem(SESSION_KEY, m.session);
      setLink('open', m.resumed ? 'connected (resumed)' : 'connected');
      // A reloaded page has its session back but no sound or microphone until tapped.
      if (m.resumed && !started) { $('tap').hidden = false; $('start').hidden = true; }
      if (linkTrouble) { showNotice(''); linkTrouble = false; }
      $('captions').innerHTML = '';
      // STOP first (until confirmed, whatever the link did), then typed text, then the audio
      if (stopping) ws.send(JSON.stringify({ type: 'stop' }));
      for (const msg of outbox.splice(0)) ws.send(JSON.stringify(msg));
      // a session the gateway had lost (restarted) gets what was said since the link went down
      if (captured) resend(m.resumed ? m.heard || 0 : Math.max(m.heard || 0, downAt));
      break;
    case 'caption':
      display.caption(m.who, m.text);
      if (m.who === 'coach' && coachDown) { showNotice(''); coachDown = false; } // it is back
      break;
    case 'view':
      display.show(m.view);
      if (started) awake.want(m.view.phase !== 'ended');  // the screen stays on until the end
      break;
    case 'flush': flush(); break;
    case 'stopped':  // after its flush, before the coach's answer (which plays)
      stopping = false;
      if (!m.paused) { display.stopShown = false; display.paused(); } // no session: STOP only silenced
      break;
    case 'history':
    case 'export':
      progress.receive(m);
      break;
    case 'warning':
      showNotice(m.message);
      if (m.code === 'coach_unreachable') coachDown = true;
      break;
    case 'error':
      trace.errors.push(m);
      if (m.code.startsWith('history_')) { progress.receive(m); break; }
      showNotice(m.message);
      if (m.code === 'bad_format' || m.code === 'taken_over') closedForGood = true;
      if (m.code === 'coach_unreachable') linkTrouble = true;
      if (m.code === 'busy') {  // refused: said and shown; try again when the message says
        closedForGood = true;
        busyAudio = [];
        setTimeout(() => { closedForGood = false; busyAudio = null; connect(); }, (m.retry_s || 60) * 1000);
      }
      break;
    default: break;
  }
}

function showNotice(text) { $('notice').textContent = text; $('notice').hidden = !text; }

// --- playback ----------------------------------------------------------------------------------

function onAudio(buf) {
  if (!playCtx && busyAudio) { busyAudio.push(buf); return; } // played when Start is pressed
  if (!playCtx || stopping) return; // no sound yet (the browser needs a tap), or cut by STOP
  const rate = new DataView(buf).getUint32(0, true);
  const pcm = new Int16Array(buf, 4);
  const audio = playCtx.createBuffer(1, pcm.length, rate);
  const out = audio.getChannelData(0);
  let peak = 0;
  for (let i = 0; i < pcm.length; i++) { out[i] = pcm[i] / 32768; peak = Math.max(peak, Math.abs(pcm[i])); }
  const src = playCtx.createBufferSource();
  src.buffer = audio;
  src.connect(playCtx.destination);
  const now = playCtx.currentTime;
  if (playAt < now + 0.01) playAt = now + 0.02; // after a gap; the gateway sends ~90 ms ahead
  src.start(playAt);
  playAt += audio.duration;
  playing.push(src);
  src.onended = () => { playing = playing.filter((s) => s !== src); };
  trace.played.frames += 1;
  trace.played.samples += pcm.length;
  trace.played.peak = Math.max(trace.played.peak, peak);
  if (trace.played.firstAt === null) trace.played.firstAt = performance.now();
  note('audio', { samples: pcm.length, rate, peak, at: (playAt - audio.duration - now) * 1000 });
}

function flush() {
  trace.flushes += 1;
  for (const s of playing) { try { s.stop(); } catch (e) { /* already ended */ } }
  playing = [];
  playAt = 0;
}

// --- microphone --------------------------------------------------------------------------------

function onMicChunk(data) {
  $('level').value = data.peak / 32768;
  if (!captureChunk(data.pcm, data.peak)) return;
  trace.sent.chunks += 1;
  trace.sent.samples += data.pcm.byteLength / 2;
  trace.sent.peak = Math.max(trace.sent.peak, data.peak);
  if (TRACE) trace.chunks.push([performance.now(), data.peak]);
}

function setMic(state, text) { $('mic').dataset.state = state; $('mic').firstChild.textContent = text; }

async function start() {
  if (started) { recover('tap'); return; }
  started = true;
  $('start').hidden = true;
  $('tap').hidden = true;
  awake.want(!display.view || display.view.phase !== 'ended');
  playCtx = playCtx || new AudioContext();
  await playCtx.resume();
  if (busyAudio) for (const buf of busyAudio.splice(0)) onAudio(buf);
  try {
    await mic.open();
    setMic('on', 'listening ');
    note('mic-open');
  } catch (err) {
    setMic('failed', 'no mic ');
    showNotice(`The microphone is not available (${err.name || err}). Type below instead; STOP still works.`);
    note('mic-failed', { error: String(err) });
  }
}

// Back from a locked phone or a hidden tab: sound and microphone running again, the screen lock
// taken again. A browser that wants a tap first gets the "Tap to resume" button.
async function recover(why) {
  if (!started || document.visibilityState !== 'visible') return;
  awake.refresh();
  const sound = playCtx ? await resumeAudio(playCtx) : false;
  let listening = false;
  try {
    listening = await mic.recover();
  } catch (err) {
    note('mic-failed', { error: String(err) });
  }
  note('recovered', { why, sound, mic: listening, reopened: mic.reopened });
  if (mic.stream) setMic(listening ? 'on' : 'failed', listening ? 'listening ' : 'mic stopped ');
  $('tap').hidden = sound && (listening || !mic.stream);
}

// --- controls ----------------------------------------------------------------------------------

$('start').addEventListener('click', start);
$('tap').addEventListener('click', start);
$('stop').addEventListener('click', () => {
  // Silence now and show PAUSED, whatever the connection does; the coach pauses (resumable).
  flush();
  stopping = display.stopShown = true;
  display.paused();
  if (ready && ws.readyState === WebSocket.OPEN) {
    sendHeld();
    ws.send(JSON.stringify({ type: 'stop' }));
  }
  note('stop-button');
});
$('resume').addEventListener('click', () => sendJSON({ type: 'text', text: 'resume' }));
$('end').addEventListener('click', () => sendJSON({ type: 'text', text: 'end the session' }));
$('typing').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const text = $('text').value.trim();
  if (text) sendJSON({ type: 'text', text });
  $('text').value = '';
});

window.addEventListener('pagehide', keepForReload);
document.addEventListener('visibilitychange', () => recover('visible'));
window.addEventListener('pageshow', (ev) => { if (ev.persisted) recover('pageshow'); });
registerWorker(note);
takeBackAfterReload();
if (display.stopShown) display.paused();
connect();
display.tick();
