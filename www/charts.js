// Hand-drawn canvas charts for the dashboard: a scrolling time-series chart (lines, an optional
// right-hand axis) and a state band for the circuit breaker. No dependency: a chart is a few
// hundred line segments, cheaper to draw by hand than to feed through a library.

const FONT = '11px system-ui, sans-serif';
const GRID = '#e4e4e4';
const TEXT = '#555';
const PAD = { left: 38, right: 38, top: 32, bottom: 10 };

// CSS sizes of the canvases, kept by a ResizeObserver: reading clientWidth in a draw would force
// a layout whenever the page's text changed since the last one.
const sizes = new WeakMap();
const observer = typeof ResizeObserver === 'function'
  ? new ResizeObserver((entries) => {
    for (const e of entries) sizes.set(e.target, { w: e.contentRect.width, h: e.contentRect.height });
  })
  : null;

function watch(canvas) {
  sizes.set(canvas, { w: canvas.clientWidth, h: canvas.clientHeight });
  observer?.observe(canvas);
}

/** Sizes the backing store to the element's CSS size times the device pixel ratio. */
function fit(canvas) {
  const dpr = globalThis.devicePixelRatio || 1;
  const size = sizes.get(canvas) ?? { w: canvas.clientWidth, h: canvas.clientHeight };
  const w = Math.max(1, Math.round(size.w * dpr));
  const h = Math.max(1, Math.round(size.h * dpr));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return { ctx, w: w / dpr, h: h / dpr };
}

/**
 * A chart's canvas fitted and cleared: its plot area (x0..x1 left to right, y0 bottom, y1
 * top) and the window's start `from` and pixels per second `sx`.
 */
function frame(canvas, windowSec, now) {
  const { ctx, w, h } = fit(canvas);
  const x0 = PAD.left;
  const x1 = w - PAD.right;
  ctx.clearRect(0, 0, w, h);
  ctx.font = FONT;
  return { ctx, x0, x1, y0: h - PAD.bottom, y1: PAD.top, from: now - windowSec, sx: (x1 - x0) / windowSec };
}

/** A round upper bound for an axis (1, 2, 5 x 10^n). */
export function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function fmt(v) {
  if (v == null || !Number.isFinite(v)) return '-';
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  if (a >= 10 || Number.isInteger(v)) return String(Math.round(v));
  return v.toFixed(a >= 1 ? 1 : 2);
}

/**
 * Lines over the last `windowSec` seconds of samples ({ t, [key]: number | null }).
 * series: [{ key, label, color, axis?: 'right' }]; a null value breaks the line.
 */
export class TimeChart {
  constructor(canvas, { title, series, unit = '', rightUnit = '', windowSec = 60, empty = '' }) {
    Object.assign(this, { canvas, title, series, unit, rightUnit, windowSec, empty });
    watch(canvas);
  }

  draw(samples, now) {
    const { ctx, x0, x1, y0, y1, from, sx } = frame(this.canvas, this.windowSec, now);
    let start = samples.length;
    while (start > 0 && samples[start - 1].t >= from) start--;
    if (start > 0) start--; // one point left of the window, so the line enters from the edge
    const max = { left: 0, right: 0 };
    for (let i = start; i < samples.length; i++) {
      for (const s of this.series) {
        const v = samples[i][s.key];
        const side = s.axis === 'right' ? 'right' : 'left';
        if (v != null && v > max[side]) max[side] = v;
      }
    }
    const top = { left: niceMax(max.left), right: niceMax(max.right) };
    const hasRight = this.series.some((s) => s.axis === 'right');

    ctx.lineWidth = 1;
    ctx.strokeStyle = GRID;
    ctx.fillStyle = TEXT;
    ctx.beginPath();
    for (let g = 0; g <= 2; g++) {
      const y = Math.round(y0 - ((y0 - y1) * g) / 2) + 0.5;
      ctx.moveTo(x0, y);
      ctx.lineTo(x1, y);
    }
    ctx.stroke();
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    ctx.fillText(fmt(top.left), x0 - 4, y1);
    ctx.fillText('0', x0 - 4, y0);
    if (hasRight) {
      ctx.textAlign = 'left';
      ctx.fillText(fmt(top.right), x1 + 4, y1);
      ctx.fillText('0', x1 + 4, y0);
    }
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    ctx.fillStyle = '#222';
    ctx.fillText(`${this.title}${this.unit ? ` (${this.unit}${hasRight && this.rightUnit ? ` | ${this.rightUnit}` : ''})` : ''}`, x0, 12);

    // Legend on its own line under the title: each series' name and its latest value.
    const last = samples[samples.length - 1];
    let lx = x0;
    for (const s of this.series) {
      const text = `${s.label} ${fmt(last ? last[s.key] : null)}`;
      ctx.fillStyle = s.color;
      ctx.fillText(text, lx, 25);
      lx += ctx.measureText(text).width + 8;
    }

    if (start >= samples.length) {
      if (this.empty) {
        ctx.fillStyle = TEXT;
        ctx.textAlign = 'center';
        ctx.fillText(this.empty, (x0 + x1) / 2, (y0 + y1) / 2);
      }
      return;
    }
    ctx.save();
    ctx.beginPath();
    ctx.rect(x0, y1 - 2, x1 - x0, y0 - y1 + 4);
    ctx.clip();
    ctx.lineWidth = 1.5;
    let drawn = 0;
    for (const s of this.series) {
      const scale = (y0 - y1) / top[s.axis === 'right' ? 'right' : 'left'];
      ctx.strokeStyle = s.color;
      ctx.beginPath();
      let pen = false;
      for (let i = start; i < samples.length; i++) {
        const v = samples[i][s.key];
        if (v == null) {
          pen = false;
          continue;
        }
        const x = x0 + (samples[i].t - from) * sx;
        const y = y0 - v * scale;
        if (pen) ctx.lineTo(x, y);
        else ctx.moveTo(x, y);
        pen = true;
        drawn++;
      }
      ctx.stroke();
    }
    ctx.restore();
    if (!drawn && this.empty) {
      ctx.fillStyle = TEXT;
      ctx.textAlign = 'center';
      ctx.fillText(this.empty, (x0 + x1) / 2, (y0 + y1) / 2);
    }
  }
}

export const STATE_COLORS = { CLOSED: '#2e9d4f', HALF_OPEN: '#e6a23c', OPEN: '#d63b3b' };

/**
 * The breaker's state over time: a band coloured per state from transitions [{ t, state }]
 * (sorted; the last one holds until `now`). `lastDrawn` records the state at the band's right
 * edge, and `bandAt(x)` where a state was painted, for tests that read the chart.
 */
export class StateChart {
  constructor(canvas, { title, windowSec = 60 }) {
    Object.assign(this, { canvas, title, windowSec, lastDrawn: null, painted: [] });
    watch(canvas);
  }

  draw(transitions, now) {
    const { ctx, x0, x1, y0, y1, from, sx } = frame(this.canvas, this.windowSec, now);
    ctx.fillStyle = '#222';
    ctx.textAlign = 'left';
    ctx.fillText(this.title, x0, 12);
    this.painted = [];
    for (let i = 0; i < transitions.length; i++) {
      const a = transitions[i];
      const end = i + 1 < transitions.length ? transitions[i + 1].t : now;
      if (end < from) continue;
      // Whole pixels (no blended edges), at least 3 wide so a brief HALF_OPEN probe or a state
      // that began this instant shows (it paints over the end of the one before).
      const xb = Math.round(x0 + (Math.min(end, now) - from) * sx);
      const xa = Math.max(Math.round(x0), Math.min(xb - 3, Math.round(x0 + (Math.max(a.t, from) - from) * sx)));
      ctx.fillStyle = STATE_COLORS[a.state] || '#999';
      ctx.fillRect(xa, y1, xb - xa, y0 - y1);
      this.painted.push({ state: a.state, x0: xa, x1: xb });
    }
    const cur = transitions.length ? transitions[transitions.length - 1].state : null;
    this.lastDrawn = cur;
    ctx.textAlign = 'right';
    ctx.fillStyle = STATE_COLORS[cur] || TEXT;
    ctx.fillText(cur || '-', x1, 12);
    const seen = new Set(this.painted.map((p) => p.state));
    ctx.textAlign = 'left';
    let lx = x0;
    for (const s of Object.keys(STATE_COLORS)) {
      if (!seen.has(s)) continue;
      ctx.fillStyle = STATE_COLORS[s];
      ctx.fillRect(lx, 17, 8, 8);
      ctx.fillStyle = TEXT;
      ctx.fillText(s, lx + 11, 25);
      lx += ctx.measureText(s).width + 22;
    }
  }
}
