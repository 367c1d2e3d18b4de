// Draws the dashboard from real query results (what Prometheus answered for each panel's
// query in the e2e run) as an HTML page of SVG panels laid out on Grafana's 24-column grid,
// and screenshots it with headless Chromium. Not Grafana: the same queries, layout, units,
// thresholds and value mappings, drawn plainly.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findOnPath } from './binaries.js';
import type { PanelResult } from './dashboard-check.js';
import type { Dashboard, Panel } from './dashboard.js';

const WIDTH = 1600;
const PAD = 12;
const ROW = 34;
const COLORS = ['#73bf69', '#f2cc0c', '#8ab8ff', '#ff780a', '#f2495c', '#5794f2', '#b877d9', '#70dbed', '#e0b400', '#9ac48a'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function duration(seconds: number): string {
  const s = Math.abs(seconds);
  const sign = seconds < 0 ? '-' : '';
  if (s >= 86400) return `${sign}${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
  if (s >= 3600) return `${sign}${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  if (s >= 60) return `${sign}${Math.floor(s / 60)}m ${Math.round(s % 60)}s`;
  if (s >= 1) return `${sign}${s.toFixed(2)} s`;
  return `${sign}${(s * 1000).toFixed(s * 1000 >= 10 ? 0 : 1)} ms`;
}

function format(value: number, unit: string | undefined): string {
  if (!Number.isFinite(value)) return '–';
  switch (unit) {
    case 's': return duration(value);
    case 'percentunit': return `${(value * 100).toFixed(0)}%`;
    case 'reqps': return `${value.toFixed(value >= 10 ? 0 : 2)} req/s`;
    case 'ops': return `${value.toFixed(value >= 10 ? 0 : 2)} ops/s`;
    default: return Number.isInteger(value) ? String(value) : value.toFixed(value >= 10 ? 1 : 2);
  }
}

function legend(template: string | undefined, labels: Record<string, string>): string {
  if (!template) return Object.entries(labels).filter(([k]) => k !== '__name__').map(([k, v]) => `${k}=${v}`).join(', ') || 'value';
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_m, name: string) => labels[name] ?? '');
}

interface Line { name: string; points: Array<[number, number]> }

function linesOf(panel: Panel, results: PanelResult[]): Line[] {
  const lines: Line[] = [];
  for (const target of panel.targets ?? []) {
    const result = results.find((r) => r.panelId === panel.id && r.refId === target.refId);
    for (const s of result?.series ?? []) {
      lines.push({ name: legend(target.legendFormat, s.metric), points: s.values.map(([t, v]) => [t, Number(v)] as [number, number]).filter(([, v]) => Number.isFinite(v)) });
    }
  }
  return lines;
}

function thresholdColor(panel: Panel, value: number): string {
  const steps = ((panel.fieldConfig?.defaults.thresholds as { steps?: Array<{ color: string; value: number | null }> } | undefined)?.steps) ?? [];
  let color = '#73bf69';
  for (const step of steps) if (step.value === null || value >= step.value) color = step.color;
  return ({ green: '#73bf69', red: '#f2495c', orange: '#ff9830', yellow: '#fade2a', blue: '#5794f2' } as Record<string, string>)[color] ?? color;
}

function timeseries(panel: Panel, lines: Line[], w: number, h: number, window: { start: number; end: number }): string {
  const unit = panel.fieldConfig?.defaults.unit as string | undefined;
  const bars = (panel.fieldConfig?.defaults.custom as { drawStyle?: string } | undefined)?.drawStyle === 'bars';
  const shown = lines.slice(0, COLORS.length);
  const perRow = Math.max(1, Math.floor(w / 250));
  const legendRows = Math.min(3, Math.ceil(shown.length / perRow));
  const left = 70;
  const top = 8;
  const bottom = h - 22 - legendRows * 16;
  const right = w - 10;
  const values = shown.flatMap((l) => l.points.map(([, v]) => v));
  let lo = Math.min(0, ...values);
  let hi = Math.max(...values, 0);
  const fixed = panel.fieldConfig?.defaults as { min?: number; max?: number };
  if (fixed.min !== undefined) lo = fixed.min;
  if (fixed.max !== undefined) hi = Math.max(fixed.max, hi);
  if (hi === lo) hi = lo + 1;
  const x = (t: number) => left + ((t - window.start) / (window.end - window.start)) * (right - left);
  const y = (v: number) => bottom - ((v - lo) / (hi - lo)) * (bottom - top);
  const parts: string[] = [];
  for (let i = 0; i <= 2; i++) {
    const v = lo + ((hi - lo) * i) / 2;
    parts.push(`<line x1="${left}" x2="${right}" y1="${y(v)}" y2="${y(v)}" stroke="#2c3235"/><text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" class="axis">${esc(format(v, unit))}</text>`);
  }
  const span = window.end - window.start;
  for (let i = 0; i <= 4; i++) {
    const t = window.start + (span * i) / 4;
    parts.push(`<text x="${x(t)}" y="${bottom + 14}" text-anchor="middle" class="axis">${i === 4 ? 'now' : `-${Math.round(span - (t - window.start))}s`}</text>`);
  }
  shown.forEach((line, i) => {
    const color = COLORS[i]!;
    if (bars) {
      const bw = Math.max(1, ((right - left) / Math.max(1, span)) * 0.8 / Math.max(1, shown.length));
      for (const [t, v] of line.points) if (v !== 0) parts.push(`<rect x="${x(t) + i * bw}" y="${Math.min(y(v), y(0))}" width="${bw}" height="${Math.abs(y(0) - y(v))}" fill="${color}" opacity="0.8"/>`);
    } else if (line.points.length > 0) {
      const d = line.points.map(([t, v], j) => `${j === 0 ? 'M' : 'L'}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
      parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.5"/>`);
    }
  });
  shown.forEach((line, i) => {
    const lx = left + (i % perRow) * ((right - left) / perRow);
    const ly = h - 6 - (legendRows - 1 - Math.floor(i / perRow)) * 16;
    if (Math.floor(i / perRow) < legendRows) parts.push(`<rect x="${lx}" y="${ly - 9}" width="10" height="3" fill="${COLORS[i]}"/><text x="${lx + 14}" y="${ly - 4}" class="legend">${esc(line.name.slice(0, 40))}</text>`);
  });
  return parts.join('');
}

function stateTimeline(panel: Panel, lines: Line[], w: number, h: number, window: { start: number; end: number }): string {
  const mapping = ((panel.fieldConfig?.defaults.mappings as Array<{ options: Record<string, { text: string; color: string }> }> | undefined) ?? [])[0]?.options ?? {};
  const colors: Record<string, string> = { green: '#73bf69', yellow: '#fade2a', red: '#f2495c' };
  const left = 150;
  const band = Math.min(28, (h - 30) / Math.max(1, lines.length));
  const x = (t: number) => left + ((t - window.start) / (window.end - window.start)) * (w - left - 10);
  const parts: string[] = [];
  lines.forEach((line, i) => {
    const y0 = 6 + i * (band + 4);
    parts.push(`<text x="${left - 8}" y="${y0 + band / 2 + 4}" text-anchor="end" class="legend">${esc(line.name)}</text>`);
    line.points.forEach(([t, v], j) => {
      const next = line.points[j + 1]?.[0] ?? window.end;
      const m = mapping[String(v)];
      parts.push(`<rect x="${x(t)}" y="${y0}" width="${Math.max(1, x(next) - x(t))}" height="${band}" fill="${colors[m?.color ?? ''] ?? '#5794f2'}"/>`);
    });
  });
  let lx = left;
  for (const m of Object.values(mapping)) {
    parts.push(`<rect x="${lx}" y="${h - 14}" width="10" height="10" fill="${colors[m.color] ?? '#5794f2'}"/><text x="${lx + 14}" y="${h - 5}" class="legend">${esc(m.text)}</text>`);
    lx += 90;
  }
  return parts.join('');
}

function table(panel: Panel, results: PanelResult[]): string {
  const result = results.find((r) => r.panelId === panel.id);
  const organize = ((panel as { transformations?: Array<{ options: { indexByName?: Record<string, number>; renameByName?: Record<string, string> } }> }).transformations ?? [])[0]?.options ?? {};
  const columns = Object.entries(organize.indexByName ?? {}).sort((a, b) => a[1] - b[1]).map(([name]) => name);
  const unit = panel.fieldConfig?.defaults.unit as string | undefined;
  const rows = (result?.series ?? []).map((s) => {
    const last = [...s.values].reverse().find(([, v]) => Number.isFinite(Number(v)));
    return columns.map((c) => (c === 'Value' ? format(Number(last?.[1]), unit) : s.metric[c] ?? ''));
  });
  const head = columns.map((c) => `<th>${esc(organize.renameByName?.[c] ?? c)}</th>`).join('');
  return `<table><tr>${head}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</table>`;
}

export function dashboardHtml(dashboard: Dashboard, results: PanelResult[], window: { start: number; end: number }): { html: string; height: number } {
  const col = (WIDTH - 2 * PAD) / 24;
  const header = 54;
  let height = 0;
  const blocks: string[] = [];
  for (const panel of dashboard.panels) {
    const { x, y, w, h } = panel.gridPos;
    const left = PAD + x * col;
    const top = header + y * ROW;
    const width = w * col - 6;
    const tall = h * ROW - 6;
    height = Math.max(height, top + tall + PAD);
    if (panel.type === 'row') {
      blocks.push(`<div class="row" style="left:${left}px;top:${top + 6}px;width:${width}px">${esc(panel.title)}</div>`);
      continue;
    }
    const lines = linesOf(panel, results);
    const inner = tall - 28;
    let body: string;
    if (panel.type === 'stat') {
      const last = lines[0]?.points.at(-1)?.[1] ?? Number.NaN;
      const decimals = panel.fieldConfig?.defaults.decimals as number | undefined;
      const text = decimals === undefined ? format(last, panel.fieldConfig?.defaults.unit as string | undefined) : last.toFixed(decimals);
      body = `<div class="stat" style="color:${thresholdColor(panel, last)};line-height:${inner}px">${esc(text)}</div>`;
    } else if (panel.type === 'table') {
      body = table(panel, results);
    } else {
      const svg = panel.type === 'state-timeline' ? stateTimeline(panel, lines, width - 12, inner, window) : timeseries(panel, lines, width - 12, inner, window);
      body = `<svg width="${width - 12}" height="${inner}">${svg}</svg>`;
    }
    blocks.push(`<div class="panel" style="left:${left}px;top:${top}px;width:${width}px;height:${tall}px"><div class="title">${esc(panel.title)}</div>${body}</div>`);
  }
  const seconds = Math.round(window.end - window.start);
  const html = `<!doctype html><html><head><meta charset="utf-8"><style>
body{margin:0;background:#111217;font:12px/1.3 -apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#ccccdc;width:${WIDTH}px;height:${height}px;position:relative;overflow:hidden}
h1{position:absolute;left:${PAD}px;top:8px;margin:0;font-size:17px;font-weight:500}
.sub{position:absolute;left:${PAD}px;top:31px;color:#8e8e8e;font-size:11px}
.panel{position:absolute;background:#181b1f;border:1px solid #2c3235;border-radius:3px;padding:4px 6px;box-sizing:border-box;overflow:hidden}
.title{font-weight:500;font-size:12px;margin-bottom:4px;white-space:nowrap;overflow:hidden}
.row{position:absolute;font-weight:500;font-size:14px;color:#d8d9da}
.stat{text-align:center;font-size:34px;font-weight:500}
.axis{fill:#8e8e8e;font-size:10px}.legend{fill:#ccccdc;font-size:10.5px}
table{border-collapse:collapse;width:100%;font-size:11px}th{text-align:left;color:#6e9fff;border-bottom:1px solid #2c3235;padding:2px 6px}td{padding:2px 6px;border-bottom:1px solid #202226}
</style></head><body><h1>${esc(dashboard.title)}</h1><div class="sub">Every panel below is what a real Prometheus answered to the dashboard's own query, after scraping keyferry for ${seconds} s in the end-to-end test (syncs, a failure, a throttle, an open circuit and a rotation); namespace and store: All.</div>${blocks.join('')}</body></html>`;
  return { html, height };
}

/** Writes the dashboard, drawn from `results`, to `pngPath` with headless Chromium. */
export async function renderDashboardPng(dashboard: Dashboard, results: PanelResult[], window: { start: number; end: number }, pngPath: string): Promise<void> {
  const chromium = findOnPath('chromium');
  const dir = await mkdtemp(join(tmpdir(), 'keyferry-dashboard-'));
  try {
    const { html, height } = dashboardHtml(dashboard, results, window);
    await writeFile(join(dir, 'dashboard.html'), html);
    await promisify(execFile)(chromium, [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
      `--user-data-dir=${join(dir, 'profile')}`, '--hide-scrollbars', '--force-device-scale-factor=1', `--window-size=${WIDTH},${Math.ceil(height)}`,
      `--screenshot=${pngPath}`, `file://${join(dir, 'dashboard.html')}`,
    ], { timeout: 120_000 });
    const { size } = await stat(pngPath);
    if (size > 1024 * 1024) throw new Error(`${pngPath} is ${size} bytes; keep it under 1 MiB`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
