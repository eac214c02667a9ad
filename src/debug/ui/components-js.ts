/**
 * The debug UI's component list (`/ui/components.js`, route `#/components`): every component of
 * the run with its health, role, kinds, items per second in and out, counters and errors,
 * refreshed every second.
 */

/** The source of `/ui/components.js`, an ES module for the browser. */
export const COMPONENTS_JS = `import {
  componentHref,
  describeError,
  errorBox,
  formatCount,
  formatRate,
  getJson,
  h,
  healthBadge,
  kindsText,
  roleBadge,
  tapHref,
} from './dom.js';

const COLUMNS = [
  ['Component', ''],
  ['Type', ''],
  ['Role', ''],
  ['Kinds', ''],
  ['Health', ''],
  ['In items/s', 'num'],
  ['Out items/s', 'num'],
  ['Received', 'num'],
  ['Sent', 'num'],
  ['Dropped', 'num'],
  ['Errors', 'num'],
  ['', ''],
];

function numberCell(text, extra) {
  return h('td', { class: extra ? 'num ' + extra : 'num' }, text);
}

function row(component) {
  const { counters, rates, health } = component;
  const isSource = component.role === 'source';
  const isSink = component.role === 'sink';
  return h(
    'tr',
    { 'data-testid': 'component-row', 'data-component-id': component.id, 'data-health': health.state },
    h('td', null, h('a', { href: componentHref(component.id), class: 'component-link' }, component.id)),
    h('td', null, component.type),
    h('td', null, roleBadge(component.role)),
    h('td', { class: 'kinds' }, kindsText(component.kinds)),
    h(
      'td',
      { class: 'health-cell' },
      healthBadge(health.state),
      health.message ? h('div', { class: 'health-message' }, health.message) : null,
    ),
    numberCell(isSource ? '—' : formatRate(rates.receivedPerSecond), 'rate-in'),
    numberCell(isSink && rates.sentPerSecond === 0 ? '—' : formatRate(rates.sentPerSecond), 'rate-out'),
    numberCell(isSource ? '—' : formatCount(counters.received)),
    numberCell(formatCount(counters.sent)),
    numberCell(formatCount(counters.droppedTotal), counters.droppedTotal > 0 ? 'warn' : ''),
    numberCell(formatCount(counters.errorsTotal), counters.errorsTotal > 0 ? 'bad errors' : 'errors'),
    h(
      'td',
      { class: 'actions' },
      h('a', { href: tapHref(component.id), title: 'Live debugging of ' + component.id }, 'live'),
    ),
  );
}

/** Mounts the component list in view until life closes. */
export function mountComponents(view, life) {
  const summary = h('p', { class: 'muted', id: 'components-summary' }, 'Loading…');
  const problem = h('div');
  const body = h('tbody');
  const table = h(
    'table',
    { id: 'components-table', 'data-testid': 'components-table', class: 'grid' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        COLUMNS.map(([label, kind]) => h('th', { class: kind, scope: 'col' }, label)),
      ),
    ),
    body,
  );
  view.append(h('h1', null, 'Components'), summary, problem, h('div', { class: 'table-wrap' }, table));
  life.poll(
    1000,
    async () => {
      const list = await getJson('/api/v0/components', life.signal);
      problem.replaceChildren();
      const count = list.components.length;
      const unhealthy = list.components.filter((c) => c.health.state === 'unhealthy').length;
      summary.textContent =
        count +
        (count === 1 ? ' component' : ' components') +
        (unhealthy > 0 ? ', ' + unhealthy + ' unhealthy' : '') +
        ', in flow order (sources first). Rates are items per second over the server’s window.';
      body.replaceChildren(...list.components.map(row));
    },
    (error) => problem.replaceChildren(errorBox('Cannot load the components: ' + describeError(error))),
  );
}
`;
