/** The debug UI's style sheet (`/ui/styles.css`): dark text on light ground, plain tables. */

/** The CSS of `/ui/styles.css`. */
export const STYLES_CSS = `:root {
  --fg: #1f2328;
  --muted: #59636e;
  --bg: #ffffff;
  --bg-subtle: #f6f8fa;
  --border: #d1d9e0;
  --accent: #0b5cad;
  --ok: #1a7f37;
  --warn: #9a6700;
  --bad: #cf222e;
  --off: #6e7781;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  color-scheme: light;
}

* {
  box-sizing: border-box;
}

[hidden] {
  display: none !important;
}

body {
  margin: 0;
  color: var(--fg);
  background: var(--bg);
  font:
    14px / 1.45 system-ui,
    -apple-system,
    "Segoe UI",
    Roboto,
    "Helvetica Neue",
    Arial,
    sans-serif;
}

a {
  color: var(--accent);
  text-decoration: none;
}

a:hover {
  text-decoration: underline;
}

code,
pre {
  font-family: var(--mono);
  font-size: 12.5px;
}

h1 {
  font-size: 20px;
  margin: 0 0 8px;
  overflow-wrap: anywhere;
}

h2 {
  font-size: 15px;
  margin: 24px 0 8px;
}

.top {
  display: flex;
  align-items: center;
  gap: 24px;
  padding: 10px 24px;
  background: var(--bg-subtle);
  border-bottom: 1px solid var(--border);
}

.brand {
  display: flex;
  align-items: center;
  gap: 8px;
  color: var(--fg);
  font-weight: 600;
  font-size: 16px;
}

.brand span {
  color: var(--muted);
  font-weight: 400;
}

.brand:hover {
  text-decoration: none;
}

.main-nav {
  display: flex;
  gap: 4px;
}

.main-nav a {
  padding: 5px 12px;
  border-radius: 6px;
  color: var(--fg);
}

.main-nav a:hover {
  background: #e6eaef;
  text-decoration: none;
}

.main-nav a[aria-current="page"] {
  background: var(--bg);
  box-shadow: inset 0 0 0 1px var(--border);
  font-weight: 600;
}

.run-status {
  margin-left: auto;
  display: flex;
  align-items: center;
  gap: 8px;
  color: var(--muted);
}

.chip {
  padding: 1px 8px;
  border-radius: 10px;
  font-size: 12px;
  font-weight: 600;
  border: 1px solid currentColor;
}

.chip-ok {
  color: var(--ok);
}

.chip-warn {
  color: var(--warn);
}

.chip-bad {
  color: var(--bad);
}

.banner {
  margin: 0;
  padding: 8px 24px;
  background: #fff1f0;
  color: var(--bad);
  border-bottom: 1px solid #ffcecb;
}

main {
  padding: 20px 24px 40px;
  max-width: 1400px;
}

.muted {
  color: var(--muted);
}

.error {
  padding: 8px 12px;
  border: 1px solid #ffcecb;
  background: #fff1f0;
  color: var(--bad);
  border-radius: 6px;
}

.crumbs {
  color: var(--muted);
  margin-bottom: 6px;
  overflow-wrap: anywhere;
}

.title-row {
  display: flex;
  align-items: center;
  gap: 16px;
  flex-wrap: wrap;
}

.title-row h1 {
  margin: 0;
}

.button,
button {
  display: inline-block;
  padding: 4px 12px;
  border: 1px solid var(--border);
  border-radius: 6px;
  background: var(--bg-subtle);
  color: var(--fg);
  font: inherit;
  cursor: pointer;
}

.button:hover,
button:hover {
  background: #e6eaef;
  text-decoration: none;
}

button[aria-pressed="true"] {
  background: #fff8c5;
  border-color: #d4a72c;
}

input,
select {
  font: inherit;
  padding: 3px 6px;
  border: 1px solid var(--border);
  border-radius: 6px;
  background: var(--bg);
  color: var(--fg);
}

input[type="number"] {
  width: 6em;
}

.table-wrap {
  overflow-x: auto;
}

table.grid {
  border-collapse: collapse;
  width: 100%;
}

table.grid.compact {
  width: auto;
  min-width: 320px;
  margin-top: 12px;
}

table.grid caption {
  text-align: left;
  font-weight: 600;
  padding: 4px 0;
}

table.grid th,
table.grid td {
  text-align: left;
  padding: 6px 10px;
  border-bottom: 1px solid var(--border);
  vertical-align: top;
}

table.grid thead th {
  background: var(--bg-subtle);
  font-size: 12px;
  font-weight: 600;
  color: var(--muted);
  white-space: nowrap;
}

table.grid tbody tr:hover {
  background: #f6f8fa;
}

table.grid .num {
  text-align: right;
  font-variant-numeric: tabular-nums;
  white-space: nowrap;
}

.num.warn {
  color: var(--warn);
  font-weight: 600;
}

.num.bad {
  color: var(--bad);
  font-weight: 600;
}

.nowrap {
  white-space: nowrap;
}

.kinds {
  white-space: nowrap;
  color: var(--muted);
}

.component-link {
  font-weight: 600;
  overflow-wrap: anywhere;
}

.health {
  display: inline-flex;
  align-items: center;
  gap: 6px;
  font-weight: 600;
  white-space: nowrap;
}

.health::before {
  content: "";
  width: 9px;
  height: 9px;
  border-radius: 50%;
  background: currentColor;
}

.health-healthy {
  color: var(--ok);
}

.health-starting {
  color: var(--warn);
}

.health-unhealthy {
  color: var(--bad);
}

.health-exited,
.health-unknown {
  color: var(--off);
}

.member-alive {
  color: var(--ok);
}

.member-suspect {
  color: var(--warn);
}

.member-dead {
  color: var(--bad);
}

.member-left,
.member-unknown {
  color: var(--off);
}

.peer-name {
  font-weight: 600;
  overflow-wrap: anywhere;
}

.self-marker {
  margin-left: 8px;
}

td.mono {
  font-family: var(--mono);
  font-size: 13px;
}

td.share meter {
  width: 80px;
  vertical-align: middle;
}

.health-message {
  color: var(--muted);
  font-size: 12px;
  overflow-wrap: anywhere;
}

.facts .health-message {
  margin-left: 8px;
  font-size: inherit;
  color: var(--fg);
}

.since {
  margin-left: 8px;
}

.role {
  font-size: 12px;
  padding: 1px 7px;
  border-radius: 4px;
  background: #eef1f4;
}

.role-source {
  background: #ddf4ff;
}

.role-transform {
  background: #fbefff;
}

.role-sink {
  background: #dafbe1;
}

.facts {
  display: grid;
  grid-template-columns: max-content 1fr;
  gap: 6px 20px;
  margin: 16px 0 0;
}

.facts dt {
  color: var(--muted);
}

.facts dd {
  margin: 0;
  overflow-wrap: anywhere;
}

.stats {
  display: flex;
  flex-wrap: wrap;
  gap: 12px;
}

.stat {
  min-width: 120px;
  padding: 8px 12px;
  border: 1px solid var(--border);
  border-radius: 6px;
}

.stat-value {
  font-size: 18px;
  font-weight: 600;
  font-variant-numeric: tabular-nums;
}

.stat-label {
  color: var(--muted);
  font-size: 12px;
}

.stat.warn .stat-value {
  color: var(--warn);
}

.stat.bad .stat-value {
  color: var(--bad);
}

table.grid.options tbody th {
  width: 1%;
  white-space: nowrap;
  font-family: var(--mono);
  font-size: 12.5px;
  font-weight: 600;
}

pre.json {
  margin: 0;
  white-space: pre-wrap;
  overflow-wrap: anywhere;
}

code.masked {
  color: var(--warn);
}

.message {
  overflow-wrap: anywhere;
}

.graph-wrap {
  overflow: auto;
  border: 1px solid var(--border);
  border-radius: 6px;
  background: #fbfcfd;
  padding: 8px;
}

svg.graph {
  display: block;
  max-width: 100%;
  height: auto;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
}

.node {
  cursor: pointer;
}

.node-box {
  fill: var(--bg);
  stroke: #8c959f;
  stroke-width: 1;
}

.node:hover .node-box,
.node:focus .node-box {
  stroke: var(--accent);
  stroke-width: 2;
}

.node:focus {
  outline: none;
}

.node-stripe {
  fill: currentColor;
}

.node-id {
  font-size: 13px;
  font-weight: 600;
  fill: var(--fg);
}

.node-meta {
  font-size: 11.5px;
  fill: var(--muted);
}

.node-line {
  font-size: 11.5px;
  fill: var(--fg);
}

.node-health {
  font-weight: 600;
  fill: currentColor;
}

.edge-line {
  fill: none;
  stroke: #57606a;
  stroke-width: 1.6;
}

.edge.idle .edge-line {
  stroke: #afb8c1;
  stroke-dasharray: 5 4;
}

.arrow {
  fill: #57606a;
}

.edge-label-bg {
  fill: #ffffff;
  stroke: var(--border);
}

.edge-label-text {
  font-size: 11.5px;
  font-variant-numeric: tabular-nums;
  fill: var(--fg);
}

.edge.idle .edge-label-text {
  fill: var(--muted);
}

.legend {
  display: flex;
  gap: 16px;
  align-items: center;
  flex-wrap: wrap;
}

.legend-idle {
  margin-left: 8px;
}

.controls {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: 10px 14px;
  padding: 10px 12px;
  margin: 12px 0 8px;
  background: var(--bg-subtle);
  border: 1px solid var(--border);
  border-radius: 6px;
}

.controls label {
  color: var(--muted);
  display: inline-flex;
  align-items: center;
  gap: 6px;
}

.controls label.grow {
  flex: 1;
  min-width: 220px;
}

.controls label.grow input {
  flex: 1;
}

.tap-status {
  margin: 8px 0 2px;
  font-weight: 600;
}

.tap-status[data-state="live"] {
  color: var(--ok);
}

.tap-status[data-state="paused"],
.tap-status[data-state="connecting"] {
  color: var(--warn);
}

.tap-status[data-state="ended"],
.tap-status[data-state="error"] {
  color: var(--bad);
}

table.tap td {
  padding: 3px 10px;
  vertical-align: baseline;
}

#tap-pause {
  min-width: 6.5em;
}

table.tap td.time {
  font-family: var(--mono);
  font-size: 12.5px;
  white-space: nowrap;
  color: var(--muted);
}

table.tap td.item {
  font-family: var(--mono);
  font-size: 12.5px;
  overflow-wrap: anywhere;
  width: 100%;
}

table.tap tbody tr {
  cursor: pointer;
}

table.tap td.item pre {
  margin-top: 6px;
  padding: 8px;
  background: var(--bg-subtle);
  border-radius: 4px;
}

.empty {
  padding: 12px 0;
}
`;
