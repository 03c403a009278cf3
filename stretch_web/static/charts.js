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
    title: 'Seconds held per side (holds in the table)',
    x: done.map((x) => secs(x.started)),
    series: sides.map((side) => ({ label: side, colour: SIDE_COLOUR[side],
      values: done.map((x) => (x.sides.some((d) => d.side === side) ? total(x, side, 'seconds') : null)) })),
    head: ['Session', 'Side', 'Holds', 'Seconds'],
    rows: done.flatMap((x) => sides.filter((side) => x.sides.some((d) => d.side === side))
      .map((side) => [day(secs(x.started)), side, total(x, side, 'holds'), total(x, side, 'seconds')])),
  };
}

// The intensity reached per routine and side, session by session: one small chart per routine
// (its sides as lines), so that lines of different routines never cross.
function intensityData(h) {
  const routines = [];
  for (const x of h.sessions) for (const d of x.sides) if (!routines.includes(d.routine)) routines.push(d.routine);
  return routines.map((routine) => {
    const done = h.sessions.filter((x) => x.sides.some((d) => d.routine === routine));
    const of = (x) => x.sides.filter((d) => d.routine === routine);
    const sides = ['right', 'left', 'both'].filter((side) => done.some((x) => of(x).some((d) => d.side === side)));
    const first = of(done[0])[0];
    return {
      title: `Intensity reached: ${first.routine_name} (0 = gentlest, top ${first.top_level})`,
      x: done.map((x) => secs(x.started)),
      series: sides.map((side) => ({ label: side, colour: SIDE_COLOUR[side], steps: true,
        values: done.map((x) => { const d = of(x).find((e) => e.side === side); return d ? d.level : null; }) })),
      top: first.top_level,
      head: ['Session', 'Side', 'Level', 'Top'],
      rows: done.flatMap((x) => of(x).map((d) => [day(secs(x.started)), d.side, d.level, d.top_level])),
    };
  });
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

// The figure's table, in a box that only screen readers see (a table itself cannot be clipped).
function table(fig) {
  const box = document.createElement('div');
  box.className = 'chart-table sr-only';
  const t = box.appendChild(document.createElement('table'));
  t.createCaption().textContent = fig.title;
  const head = t.createTHead().insertRow();
  for (const h of fig.head) { const th = document.createElement('th'); th.scope = 'col'; th.textContent = h; head.appendChild(th); }
  const body = t.createTBody();
  for (const row of fig.rows) { const tr = body.insertRow(); for (const cell of row) tr.insertCell().textContent = cell; }
  if (!fig.rows.length) body.insertRow().insertCell().textContent = 'Nothing yet.';
  return box;
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
  const whole = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];  // every count here is a whole number
  return new uPlot({
    width, height: Math.round(Math.min(240, width * (fig.top === undefined ? 0.6 : 0.4))), series,
    legend: { show: fig.series.length > 1, live: false },
    axes: [{ ...axis }, { ...axis, size: 36, incrs: whole }],
    scales: { x: { time: true }, y: { range: (u, lo, hi) => [0, fig.top !== undefined ? Math.max(fig.top, 1) + 0.3
      : Math.max(hi + (fig.marks ? 1.5 : 0.5), 1)] } },
    hooks: fig.marks ? { draw: [markHook(fig)] } : {},
  }, [fig.x, ...fig.series.map((s) => s.values)], el);
}

// Draws the figures of one person's history into `box` (sessions per week, seconds held, the
// intensity of each routine done, pain reports); returns the uPlot charts.
function drawCharts(box, history) {
  box.textContent = '';
  const width = Math.max(260, Math.min(box.clientWidth || 360, 720));
  const charts = [];
  const figures = [weeksData(history), holdsData(history), ...intensityData(history), painData(history)];
  for (const fig of figures) {
    const figure = document.createElement('figure');
    figure.className = 'chart';
    const caption = document.createElement('figcaption');
    caption.textContent = fig.title;
    const canvas = document.createElement('div');
    canvas.setAttribute('aria-hidden', 'true');
    const rows = table(fig);
    figure.append(caption, canvas, rows);
    box.appendChild(figure);
    if (!fig.x.length) { canvas.textContent = 'Nothing yet.'; continue; }
    if (window.uPlot) charts.push(plot(fig, canvas, width));
    else rows.className = 'chart-table plain';  // no chart library: the table shows instead
  }
  return charts;
}

window.drawCharts = drawCharts;
