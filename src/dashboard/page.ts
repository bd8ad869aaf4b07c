// The page shell and its style sheet. Everything else the page shows is drawn
// by the browser code (client/main.ts) from the JSON and event-stream routes.
import { sha256Base64 } from './security.js';

/** The import map that lets the browser code import 'uplot' (inline: allowed by its hash in the CSP). */
const IMPORT_MAP = JSON.stringify({ imports: { uplot: '/assets/vendor/uPlot.esm.js' } });
export const IMPORT_MAP_HASH = sha256Base64(IMPORT_MAP);

export function pageHtml(version: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hypersweep dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/vendor/uPlot.min.css">
<link rel="stylesheet" href="/assets/dashboard.css">
<script type="importmap">${IMPORT_MAP}</script>
<script type="module" src="/assets/js/dashboard/client/boot.js"></script>
</head>
<body>
<header class="top"><a href="#/" class="brand">hypersweep</a> <nav><a href="#/">studies</a> <a href="#/compare">compare</a></nav><span id="live" class="live" title="live updates">connecting…</span><span class="version">v${version}</span></header>
<div id="problems" class="problems" hidden></div>
<main id="app"><p class="muted">Loading…</p></main>
</body>
</html>
`;
}

export const DASHBOARD_CSS = `
:root { --fg: #1d2330; --muted: #6b7280; --line: #e5e7eb; --accent: #2171b5; --bad: #b91c1c; --warn: #b45309; --ok: #15803d; --bg: #fafafa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
header.top { display: flex; gap: 18px; align-items: baseline; padding: 10px 20px; background: #fff; border-bottom: 1px solid var(--line); position: sticky; top: 0; z-index: 5; }
header.top .brand { font-weight: 700; font-size: 16px; color: var(--fg); }
header.top nav a { margin-right: 12px; }
.live { margin-left: auto; font-size: 12px; color: var(--muted); }
.live.on { color: var(--ok); }
.live.off { color: var(--bad); }
.version { font-size: 12px; color: var(--muted); }
main { padding: 16px 20px 40px; max-width: 1500px; margin: 0 auto; }
h1 { font-size: 20px; margin: 4px 0 12px; }
h2 { font-size: 16px; margin: 22px 0 8px; }
.muted { color: var(--muted); }
.problems { background: #fff7ed; border: 1px solid #fdba74; color: #7c2d12; padding: 8px 20px; font-size: 13px; }
.problems ul { margin: 4px 0; padding-left: 20px; }
table.grid { border-collapse: collapse; width: 100%; background: #fff; }
table.grid th, table.grid td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
table.grid th { font-weight: 600; background: #f3f4f6; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.state-running { color: var(--accent); }
.state-complete { color: var(--ok); }
.state-pruned { color: var(--warn); }
.state-failed { color: var(--bad); }
.pill { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; border: 1px solid currentColor; }
.bar { display: inline-block; width: 120px; height: 8px; background: var(--line); border-radius: 4px; vertical-align: middle; position: relative; overflow: hidden; }
.bar > i { position: absolute; left: 0; top: 0; bottom: 0; background: var(--accent); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 14px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; min-width: 0; }
.card h3 { font-size: 14px; margin: 0 0 6px; }
.card.wide { grid-column: 1 / -1; }
.toolbar { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; margin: 8px 0; }
.toolbar label { font-size: 13px; }
input, select, button, textarea { font: inherit; }
input[type=text], input[type=number] { padding: 3px 6px; border: 1px solid #cbd5e1; border-radius: 4px; }
button { padding: 3px 10px; border: 1px solid #94a3b8; border-radius: 4px; background: #fff; cursor: pointer; }
button:hover { background: #f1f5f9; }
button.danger { border-color: var(--bad); color: var(--bad); }
.table-wrap { position: relative; overflow: auto; height: 420px; border: 1px solid var(--line); background: #fff; }
.table-wrap .spacer { position: relative; }
.table-wrap table { position: absolute; left: 0; right: 0; }
.table-wrap thead th { position: sticky; top: 0; z-index: 2; cursor: pointer; user-select: none; }
.table-wrap tbody tr { height: 26px; }
.table-wrap tbody tr:hover { background: #eef6ff; }
.chart-host svg { max-width: 100%; height: auto; }
.pc-host { position: relative; overflow-x: auto; }
.pc-host .brush { fill: rgba(33,113,181,0.18); stroke: var(--accent); }
.pc-host .pc-axis-hit { fill: transparent; cursor: crosshair; }
.pc-host polyline.mark.dim { stroke-opacity: 0.06; }
.tooltip { position: fixed; pointer-events: none; background: rgba(17,24,39,0.92); color: #fff; padding: 4px 8px; border-radius: 4px; font-size: 12px; z-index: 20; white-space: pre; }
.kv { display: grid; grid-template-columns: max-content 1fr; gap: 3px 14px; }
.kv dt { color: var(--muted); }
.kv dd { margin: 0; font-variant-numeric: tabular-nums; }
code.cmd { background: #f3f4f6; padding: 3px 6px; border-radius: 4px; }
.notes textarea { width: 100%; min-height: 90px; }
.notes .rendered { background: #fff; border: 1px solid var(--line); padding: 6px 10px; border-radius: 4px; }
.msg { font-size: 13px; margin-left: 8px; }
.msg.err { color: var(--bad); }
.legend-swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: middle; }
img.inside { max-width: 100%; border: 1px solid var(--line); }
.trials-table .trow { display: grid; grid-template-columns: var(--cols); height: 26px; align-items: center; border-bottom: 1px solid var(--line); }
.trials-table .trow > div { padding: 0 8px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.trials-table .thead { background: #f3f4f6; font-weight: 600; border: 1px solid var(--line); border-bottom: 0; }
.trials-table .thead .th { cursor: pointer; user-select: none; }
.trials-table .thead .th.sorted::after { content: ' ↕'; color: var(--muted); }
.trials-table .spacer .trow { position: absolute; left: 0; right: 0; }
.trials-table .spacer .trow:hover, .trials-table .trow.hit { background: #eef6ff; }
.trials-table .num { text-align: right; font-variant-numeric: tabular-nums; }
.trials-table .stop-trial { padding: 0 8px; font-size: 12px; }
`;
