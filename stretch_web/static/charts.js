// The history view's charts (uPlot, served from this machine: /static/vendor/) with a table
// behind each for screen readers. Input: one person's history as docs/history.md gives it.
// Without uPlot (npm missing at set-up) the tables are shown instead of the charts.
'use strict';

const SIDE_COLOUR = { right: '#4cc38a', left: '#5aa7e8', both: '#ffb020' };
const LINE_COLOURS = ['#4cc38a', '#5aa7e8', '#ffb020', '#e5484d', '#c58af9', '#f3f5f7', '#9aa7b4', '#2dd4bf'];
const WEEKS_SHOWN = 52;
const secs = (iso) => Date.parse(iso) / 1000;
const day = (t) => new Date(t * 1000).toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: '2-digit' });

// --- the figures' data: aligned series on one x axis (uPlot's shape), and the table's rows ------

function weeksData(h) {
  const weeks = h.weeks.slice(-WEEKS_SHOWN);
  return {
    title: `Sessions per week · streak ${h.streak_weeks} week${h.streak_weeks === 1 ? '' : 's'}`,
    x: weeks.map((w) => secs(`${w.monday}T12:00:00Z`)),
    series: [{ label: 'sessions', values: weeks.map((w) => w.sessions), colour: SIDE_COLOUR.right, bars: true }],
    head: ['Week', 'Sessions'],
    rows: h.weeks.map((w) => [`${w.week} (from ${w.monday})`, w.sessions]),
  };
}

// Seconds held per side in each session (all routines of that side together).
function holdsData(h) {
  const sides = ['right', 'left', 'both'].filter((s) => h.sessions.some((x) => x.sides.some((d) => d.side === s)));
  const total = (session, side, key) => session.sides.filter((d) => d.side === side).reduce((n, d) => n + d[key], 0);
  const done = h.sessions.filter((x) => x.sides.length);
  return {
    title: 'Seconds held per side',
    x: done.map((x) => secs(x.started)),
    series: sides.map((side) => ({ label: side, colour: SIDE_COLOUR[side],
      values: done.map((x) => (x.sides.some((d) => d.side === side) ? total(x, side, 'seconds') : null)) })),
    head: ['Session', 'Side', 'Holds', 'Seconds'],
    rows: done.flatMap((x) => sides.filter((side) => x.sides.some((d) => d.side === side))
      .map((side) => [day(secs(x.started)), side, total(x, side, 'holds'), total(x, side, 'seconds')])),
  };
}

// The intensity reached per routine and side, session by session.
function intensityData(h) {
  const keys = [];
  for (const x of h.sessions) {
    for (const d of x.sides) if (!keys.some((k) => k.routine === d.routine && k.side === d.side)) keys.push(d);
  }
  const done = h.sessions.filter((x) => x.sides.length);
  const level = (x, k) => { const d = x.sides.find((s) => s.routine === k.routine && s.side === k.side); return d ? d.level : null; };
  return {
    title: 'Intensity reached (0 = gentlest)',
    x: done.map((x) => secs(x.started)),
    series: keys.map((k, i) => ({ label: `${k.routine_name} · ${k.side}`, colour: LINE_COLOURS[i % LINE_COLOURS.length],
      values: done.map((x) => level(x, k)), steps: true })),
    head: ['Session', 'Routine', 'Side', 'Level', 'Top'],
    rows: done.flatMap((x) => x.sides.map((d) => [day(secs(x.started)), d.routine_name, d.side, d.level, d.top_level])),
  };
}

// Each pain report at its rating (an unrated one at 0), per side, marked with its step.
function painData(h) {
  const pains = h.sessions.flatMap((x) => x.pains).sort((a, b) => secs(a.at) - secs(b.at));
  const sides = ['right', 'left', 'both'].filter((s) => pains.some((p) => p.side === s));
  return {
    title: 'Pain reports (0 to 10), with the step',
    x: pains.map((p) => secs(p.at)),
    series: sides.map((side) => ({ label: side, colour: SIDE_COLOUR[side], points: true,
      values: pains.map((p) => (p.side === side ? (p.rating === null ? 0 : p.rating) : null)) })),
    marks: pains.map((p) => `step ${p.step}${p.sharp ? ' sharp' : ''}${p.rating === null ? ' (no rating)' : ''}`),
    head: ['When', 'Side', 'Routine', 'Step', 'Rating', 'Sharp', 'What the coach did'],
    rows: pains.map((p) => [day(secs(p.at)), p.side, p.routine, p.step, p.rating === null ? 'not rated' : p.rating,
      p.sharp ? 'yes' : 'no', p.action]),
  };
}

// --- drawing -----------------------------------------------------------------------------------

function table(fig) {
  const t = document.createElement('table');
  t.className = 'sr-only';
  t.createCaption().textContent = fig.title;
  const head = t.createTHead().insertRow();
  for (const h of fig.head) { const th = document.createElement('th'); th.scope = 'col'; th.textContent = h; head.appendChild(th); }
  const body = t.createTBody();
  for (const row of fig.rows) { const tr = body.insertRow(); for (const cell of row) tr.insertCell().textContent = cell; }
  if (!fig.rows.length) body.insertRow().insertCell().textContent = 'Nothing yet.';
  return t;
}

// Each point of a points-only chart labelled with its mark (the pain report's step).
function markHook(fig) {
  return (u) => {
    const ctx = u.ctx;
    const px = devicePixelRatio || 1;
    ctx.save();
    ctx.font = `${11 * px}px system-ui, sans-serif`;
    ctx.fillStyle = '#f3f5f7';
    u.series.forEach((s, i) => {
      if (i === 0 || !s.show) return;
      u.data[i].forEach((y, j) => {
        if (y !== null) ctx.fillText(fig.marks[j], u.valToPos(u.data[0][j], 'x', true) + 7 * px, u.valToPos(y, 'y', true) - 7 * px);
      });
    });
    ctx.restore();
  };
}

function plot(fig, el, width) {
  const series = [{}, ...fig.series.map((s) => ({
    label: s.label, stroke: s.colour, fill: s.bars ? `${s.colour}99` : undefined, width: 2, spanGaps: true,
    paths: s.bars ? uPlot.paths.bars({ size: [0.7, 40] }) : s.points ? () => null
      : s.steps ? uPlot.paths.stepped({ align: 1 }) : undefined,
    points: { show: Boolean(s.points) || fig.x.length < 40, size: s.points ? 9 : 5, fill: s.colour },
  }))];
  const axis = { stroke: '#9aa7b4', grid: { stroke: '#26303b' }, ticks: { stroke: '#26303b' } };
  return new uPlot({
    width, height: Math.round(Math.min(240, width * 0.6)), series, legend: { show: fig.series.length > 1 },
    axes: [{ ...axis }, { ...axis, size: 36 }],
    scales: { x: { time: true }, y: { range: (u, lo, hi) => [0, Math.max(hi + (fig.marks ? 1.5 : 0.5), 1)] } },
    hooks: fig.marks ? { draw: [markHook(fig)] } : {},
  }, [fig.x, ...fig.series.map((s) => s.values)], el);
}

// Draws the four figures of one person's history into `box`; returns the uPlot charts.
function drawCharts(box, history) {
  box.textContent = '';
  const width = Math.max(260, Math.min(box.clientWidth || 360, 720));
  const charts = [];
  for (const fig of [weeksData(history), holdsData(history), intensityData(history), painData(history)]) {
    const figure = document.createElement('figure');
    figure.className = 'chart';
    const caption = document.createElement('figcaption');
    caption.textContent = fig.title;
    const canvas = document.createElement('div');
    canvas.setAttribute('aria-hidden', 'true');
    figure.append(caption, canvas, table(fig));
    box.appendChild(figure);
    if (!fig.x.length) { canvas.textContent = 'Nothing yet.'; continue; }
    if (window.uPlot) charts.push(plot(fig, canvas, width));
    else figure.querySelector('table').className = 'plain';  // no chart library: the table shows
  }
  return charts;
}

window.drawCharts = drawCharts;
