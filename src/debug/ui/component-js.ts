/**
 * The debug UI's component page (`/ui/component.js`, route `#/component/:id`): a component's
 * identity, health, neighbours, counters, send queue, request latencies, declared options
 * (masked by the server) and recent errors, with a link to its live debugging view. Refreshed
 * every 2 s.
 */

/** The source of `/ui/component.js`, an ES module for the browser. */
export const COMPONENT_JS = `import {
  ApiError,
  componentHref,
  describeError,
  errorBox,
  formatCount,
  formatDateTime,
  formatRate,
  getJson,
  h,
  healthBadge,
  kindsText,
  roleBadge,
  tapHref,
} from './dom.js';

function links(ids) {
  if (ids.length === 0) return '—';
  return ids.flatMap((id, i) => [i > 0 ? ', ' : null, h('a', { href: componentHref(id) }, id)]);
}

function fact(label, ...value) {
  return [h('dt', null, label), h('dd', null, ...value)];
}

function facts(component) {
  const { health } = component;
  return h(
    'dl',
    { class: 'facts', id: 'component-facts', 'data-testid': 'component-facts' },
    fact('Type', h('code', null, component.type)),
    fact('Role', roleBadge(component.role)),
    fact('Kinds', kindsText(component.kinds)),
    fact(
      'Health',
      healthBadge(health.state),
      health.message
        ? h('span', { class: 'health-message', id: 'component-health-message' }, health.message)
        : null,
      h('span', { class: 'muted since' }, 'since ' + formatDateTime(health.since)),
    ),
    fact('Upstream', links(component.upstream)),
    fact('Downstream', links(component.downstream)),
  );
}

function stat(label, value, tone) {
  return h(
    'div',
    { class: tone ? 'stat ' + tone : 'stat' },
    h('div', { class: 'stat-value' }, value),
    h('div', { class: 'stat-label' }, label),
  );
}

function counters(component) {
  const { counters: c, rates } = component;
  const parts = [
    h(
      'div',
      { class: 'stats', id: 'component-counters', 'data-testid': 'component-counters' },
      stat('received', formatCount(c.received)),
      stat('sent', formatCount(c.sent)),
      stat('in items/s', formatRate(rates.receivedPerSecond)),
      stat('out items/s', formatRate(rates.sentPerSecond)),
      stat('dropped', formatCount(c.droppedTotal), c.droppedTotal > 0 ? 'warn' : ''),
      stat('errors', formatCount(c.errorsTotal), c.errorsTotal > 0 ? 'bad' : ''),
    ),
  ];
  const reasons = Object.entries(c.dropped);
  if (reasons.length > 0) {
    parts.push(
      h(
        'table',
        { class: 'grid compact', id: 'component-dropped' },
        h('caption', null, 'Dropped, by reason'),
        h(
          'thead',
          null,
          h('tr', null, h('th', null, 'Reason'), h('th', { class: 'num' }, 'Items'), h('th', null, 'Kind')),
        ),
        h(
          'tbody',
          null,
          reasons.map(([reason, drop]) =>
            h(
              'tr',
              null,
              h('td', null, h('code', null, reason)),
              h('td', { class: 'num' }, formatCount(drop.count)),
              h('td', null, drop.intentional ? 'intentional (filtered)' : 'data lost'),
            ),
          ),
        ),
      ),
    );
  }
  const stages = Object.entries(c.errors);
  if (stages.length > 0) {
    parts.push(
      h(
        'table',
        { class: 'grid compact', id: 'component-errors-by-stage' },
        h('caption', null, 'Errors, by stage'),
        h('thead', null, h('tr', null, h('th', null, 'Stage'), h('th', { class: 'num' }, 'Errors'))),
        h(
          'tbody',
          null,
          stages.map(([stage, count]) =>
            h('tr', null, h('td', null, stage), h('td', { class: 'num' }, formatCount(count))),
          ),
        ),
      ),
    );
  }
  return parts;
}

function formatBytes(bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return (unit === 0 ? String(value) : value.toFixed(value < 10 ? 1 : 0)) + ' ' + units[unit];
}

function formatSeconds(seconds) {
  if (seconds === 0) return '0 s';
  if (seconds < 1) return String(Number((seconds * 1000).toPrecision(3))) + ' ms';
  return String(Number(seconds.toPrecision(3))) + ' s';
}

function fillText(value, max, format) {
  return max === null ? format(value) : format(value) + ' / ' + format(max);
}

function queue(component) {
  const q = component.queue;
  const tiles = [stat('items queued', fillText(q.items, q.maxItems, formatCount))];
  if (q.bytes !== null || q.maxBytes !== null)
    tiles.push(stat('bytes queued', fillText(q.bytes ?? 0, q.maxBytes, formatBytes)));
  const max = q.maxItems !== null ? q.items / q.maxItems : q.maxBytes !== null ? (q.bytes ?? 0) / q.maxBytes : null;
  if (max !== null) {
    const percent = Math.round(Math.min(1, max) * 100);
    tiles.push(stat('full', percent + '%', percent >= 90 ? 'bad' : percent >= 50 ? 'warn' : ''));
  }
  return h('div', { class: 'stats', id: 'component-queue', 'data-testid': 'component-queue' }, tiles);
}

function requests(component) {
  const r = component.requests;
  const failed = r.count - (r.outcomes.success ?? 0);
  return [
    h(
      'div',
      { class: 'stats', id: 'component-requests', 'data-testid': 'component-requests' },
      stat('attempts', formatCount(r.count)),
      stat('failed', formatCount(failed), failed > 0 ? 'warn' : ''),
      stat('mean', formatSeconds(r.count === 0 ? 0 : r.sumSeconds / r.count)),
      stat('p50', formatSeconds(r.p50Seconds)),
      stat('p99', formatSeconds(r.p99Seconds)),
    ),
    h(
      'table',
      { class: 'grid compact', id: 'component-request-outcomes' },
      h('caption', null, 'Attempts, by outcome'),
      h('thead', null, h('tr', null, h('th', null, 'Outcome'), h('th', { class: 'num' }, 'Attempts'))),
      h(
        'tbody',
        null,
        Object.entries(r.outcomes).map(([outcome, count]) =>
          h('tr', null, h('td', null, outcome), h('td', { class: 'num' }, formatCount(count))),
        ),
      ),
    ),
  ];
}

function optionValue(value) {
  if (typeof value === 'string')
    return h('code', { class: value.includes('<secret>') ? 'masked' : '' }, value);
  if (value === null || typeof value !== 'object') return h('code', null, String(value));
  return h('pre', { class: 'json' }, JSON.stringify(value, null, 2));
}

function options(component) {
  if (component.options === null) {
    return h('p', { class: 'muted', id: 'component-options' }, 'This component declared no options.');
  }
  const entries = Object.entries(component.options);
  if (entries.length === 0) return h('p', { class: 'muted', id: 'component-options' }, 'No options.');
  return h(
    'table',
    { class: 'grid options', id: 'component-options', 'data-testid': 'component-options' },
    h('thead', null, h('tr', null, h('th', null, 'Option'), h('th', null, 'Value'))),
    h(
      'tbody',
      null,
      entries.map(([name, value]) =>
        h('tr', null, h('th', { scope: 'row' }, name), h('td', null, optionValue(value))),
      ),
    ),
  );
}

function recentErrors(component) {
  if (component.recentErrors.length === 0) {
    return h(
      'p',
      { class: 'muted', id: 'component-recent-errors' },
      'No errors seen since the server started.',
    );
  }
  return h(
    'table',
    { class: 'grid', id: 'component-recent-errors', 'data-testid': 'component-recent-errors' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', null, 'Time'),
        h('th', null, 'Stage'),
        h('th', { class: 'num' }, 'Count'),
        h('th', null, 'Latest message'),
      ),
    ),
    h(
      'tbody',
      null,
      [...component.recentErrors]
        .reverse()
        .map((entry) =>
          h(
            'tr',
            { 'data-testid': 'recent-error' },
            h('td', { class: 'nowrap' }, formatDateTime(entry.time)),
            h('td', null, entry.stages.join(', ')),
            h('td', { class: 'num' }, formatCount(entry.count)),
            h('td', { class: 'message' }, entry.message),
          ),
        ),
    ),
  );
}

/** Mounts the page of component id in view until life closes. */
export function mountComponent(view, life, id) {
  const problem = h('div');
  const top = h('div');
  const counterSection = h('div');
  const queueSection = h('section', { hidden: true }, h('h2', null, 'Queue'));
  const queueBody = h('div');
  queueSection.append(queueBody);
  const requestSection = h('section', { hidden: true }, h('h2', null, 'Requests'));
  const requestBody = h('div');
  requestSection.append(requestBody);
  const optionSection = h('div');
  const errorSection = h('div');
  const tapLink = h(
    'a',
    {
      href: tapHref(id),
      class: 'button',
      id: 'component-tap-link',
      'data-testid': 'component-tap-link',
      hidden: true,
    },
    'Live debugging',
  );
  // Shown once the component is found, so an unknown id gets only the error.
  const details = h(
    'div',
    { hidden: true },
    top,
    h('h2', null, 'Counters'),
    counterSection,
    queueSection,
    requestSection,
    h('h2', null, 'Options'),
    optionSection,
    h('h2', null, 'Recent errors'),
    errorSection,
  );
  view.append(
    h('nav', { class: 'crumbs' }, h('a', { href: '#/components' }, 'Components'), ' / ', id),
    h(
      'div',
      { class: 'title-row' },
      h('h1', { id: 'component-id', 'data-testid': 'component-id' }, id),
      tapLink,
    ),
    problem,
    details,
  );
  let optionsShown = false;
  life.poll(
    2000,
    async () => {
      const component = await getJson('/api/v0/components/' + encodeURIComponent(id), life.signal);
      problem.replaceChildren();
      top.replaceChildren(facts(component));
      counterSection.replaceChildren(...counters(component));
      // Shown only for components that queue or make requests.
      queueSection.hidden = component.queue === null;
      queueBody.replaceChildren(...(component.queue === null ? [] : [queue(component)]));
      requestSection.hidden = component.requests === null;
      requestBody.replaceChildren(...(component.requests === null ? [] : requests(component)));
      // Options do not change while the run lasts; drawn once so a selection in them survives.
      if (!optionsShown) optionSection.replaceChildren(options(component));
      optionsShown = true;
      errorSection.replaceChildren(recentErrors(component));
      details.hidden = false;
      tapLink.hidden = false;
    },
    (error) => {
      const text =
        error instanceof ApiError && error.status === 404
          ? 'No component “' + id + '” in this run.'
          : 'Cannot load the component: ' + describeError(error);
      problem.replaceChildren(errorBox(text));
    },
  );
}
`;
