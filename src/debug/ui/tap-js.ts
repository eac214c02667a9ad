/**
 * The debug UI's live debugging view (`/ui/tap.js`, route `#/tap/:id`): the component's tap as
 * server-sent events, one row per sampled item, newest first. Pause closes the stream and resume
 * opens it again; the sample rate and direction reopen it with the new query. The table keeps at
 * most {@link MAX_TAP_ROWS} rows, so the DOM stays bounded however long the view stays open, and
 * the stream is closed when the view is left.
 */

/** The most rows the live debugging view keeps; older rows are removed as new ones come. */
export const MAX_TAP_ROWS = 500;

/** The sample rate, in items per second, the live debugging view asks for first. */
export const DEFAULT_UI_TAP_RATE = 10;

/** The source of `/ui/tap.js`, an ES module for the browser. */
export const TAP_JS = `import {
  ApiError,
  componentHref,
  describeError,
  errorBox,
  formatClock,
  formatCount,
  getJson,
  h,
} from './dom.js';

const MAX_ROWS = ${MAX_TAP_ROWS};
const DEFAULT_RATE = ${DEFAULT_UI_TAP_RATE};
const DIRECTIONS = ['in', 'out', 'both'];

function labelText(labels) {
  if (!labels || typeof labels !== 'object') return '';
  const pairs = Object.entries(labels)
    .filter(([name]) => name !== '__name__')
    .map(([name, value]) => name + '=' + JSON.stringify(String(value)));
  return '{' + pairs.join(', ') + '}';
}

/** One line for an item, in the shape people know its kind by; other shapes as JSON. */
function summary(kind, item) {
  if (item && typeof item === 'object') {
    if (kind === 'metrics' && item.labels && 'value' in item) {
      const name = typeof item.labels.__name__ === 'string' ? item.labels.__name__ : '';
      return name + labelText(item.labels) + ' ' + String(item.value);
    }
    if (kind === 'logs' && item.labels && typeof item.line === 'string')
      return labelText(item.labels) + ' ' + item.line;
    if (kind === 'traces' && typeof item.name === 'string') {
      return item.name + '  trace=' + item.traceId + ' span=' + item.spanId;
    }
    if (kind === 'profiles' && item.labels && typeof item.pprofBase64 === 'string') {
      return labelText(item.labels) + ' pprof ' + Math.floor((item.pprofBase64.length * 3) / 4) + ' bytes';
    }
  }
  return JSON.stringify(item);
}

function readQuery(query) {
  const rate = Number(query.get('rate'));
  const direction = query.get('direction');
  return {
    rate: Number.isInteger(rate) && rate >= 1 ? rate : DEFAULT_RATE,
    direction: DIRECTIONS.includes(direction) ? direction : undefined,
  };
}

/** Mounts the live debugging view of component id in view until life closes. */
export function mountTap(view, life, id, query) {
  const initial = readQuery(query);
  const items = new WeakMap();
  const state = { paused: false, source: undefined, pending: [], frame: 0, filter: '' };
  const totals = { events: 0, items: 0, skipped: 0, dropped: 0 };

  const pauseButton = h(
    'button',
    { type: 'button', id: 'tap-pause', 'data-testid': 'tap-pause', 'aria-pressed': 'false' },
    'Pause',
  );
  const clearButton = h('button', { type: 'button', id: 'tap-clear', 'data-testid': 'tap-clear' }, 'Clear');
  const direction = h(
    'select',
    { id: 'tap-direction', 'data-testid': 'tap-direction' },
    DIRECTIONS.map((d) => h('option', { value: d }, d === 'both' ? 'in and out' : d)),
  );
  const rate = h('input', {
    id: 'tap-rate',
    'data-testid': 'tap-rate',
    type: 'number',
    min: 1,
    step: 1,
    value: initial.rate,
    inputmode: 'numeric',
  });
  const apply = h('button', { type: 'submit', id: 'tap-apply', 'data-testid': 'tap-apply' }, 'Apply');
  const filter = h('input', {
    id: 'tap-filter',
    'data-testid': 'tap-filter',
    type: 'search',
    placeholder: 'text in the items',
    autocomplete: 'off',
  });
  const form = h(
    'form',
    { class: 'controls', id: 'tap-controls' },
    pauseButton,
    clearButton,
    h('label', null, 'Direction ', direction),
    h('label', null, 'Sample rate ', rate, ' items/s'),
    apply,
    h('label', { class: 'grow' }, 'Filter ', filter),
  );
  const status = h(
    'p',
    { id: 'tap-status', 'data-testid': 'tap-status', class: 'tap-status', 'data-state': 'connecting' },
    'Connecting…',
  );
  const counts = h('p', { id: 'tap-counts', 'data-testid': 'tap-counts', class: 'muted' });
  const rows = h('tbody', { id: 'tap-rows' });
  const empty = h(
    'p',
    { class: 'muted empty', id: 'tap-empty' },
    'No items yet: they appear here as they pass.',
  );
  const problem = h('div');
  const kindsNote = h('span', { class: 'muted' });

  view.append(
    h(
      'nav',
      { class: 'crumbs' },
      h('a', { href: '#/components' }, 'Components'),
      ' / ',
      h('a', { href: componentHref(id) }, id),
      ' / live',
    ),
    h(
      'h1',
      null,
      'Live debugging: ',
      h('span', { id: 'tap-component', 'data-testid': 'tap-component' }, id),
      ' ',
      kindsNote,
    ),
    problem,
    form,
    status,
    counts,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'grid tap', id: 'tap-table', 'data-testid': 'tap-table' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', null, 'Time'),
            h('th', null, 'Side'),
            h('th', null, 'Kind'),
            h('th', null, 'Item (click for JSON)'),
          ),
        ),
        rows,
      ),
    ),
    empty,
  );

  const setStatus = (name, text) => {
    status.dataset.state = name;
    status.textContent = text;
  };

  const showCounts = () => {
    const shown = rows.rows.length;
    let hidden = 0;
    if (state.filter !== '') for (const row of rows.rows) if (row.hidden) hidden++;
    const showing =
      state.filter === ''
        ? 'Showing ' + formatCount(shown) + ' rows'
        : 'Showing the ' +
          formatCount(shown - hidden) +
          ' of ' +
          formatCount(shown) +
          ' rows with “' +
          filter.value.trim() +
          '”';
    counts.textContent =
      formatCount(totals.items) +
      ' items in ' +
      formatCount(totals.events) +
      ' events; ' +
      formatCount(totals.skipped) +
      ' left out by the sample rate, ' +
      formatCount(totals.dropped) +
      ' events dropped by the server for reading slowly. ' +
      showing +
      ', newest first (the last ' +
      MAX_ROWS +
      ' are kept).';
    empty.hidden = shown > 0;
  };

  const matches = (row) => state.filter === '' || row.textContent.toLowerCase().includes(state.filter);

  const flush = () => {
    state.frame = 0;
    if (state.pending.length === 0) return;
    const fragment = document.createDocumentFragment();
    for (let i = state.pending.length - 1; i >= 0; i--) {
      const entry = state.pending[i];
      const row = h(
        'tr',
        { 'data-testid': 'tap-row', class: 'dir-' + entry.direction },
        h('td', { class: 'time' }, formatClock(entry.timestampMs)),
        h('td', null, entry.direction),
        h('td', null, entry.kind),
        h('td', { class: 'item' }, summary(entry.kind, entry.item)),
      );
      items.set(row, entry.item);
      row.hidden = !matches(row);
      fragment.append(row);
    }
    state.pending = [];
    rows.prepend(fragment);
    while (rows.rows.length > MAX_ROWS) rows.lastElementChild.remove();
    showCounts();
  };

  const receive = (message) => {
    if (state.paused) return;
    let event;
    try {
      event = JSON.parse(message.data);
    } catch {
      return;
    }
    totals.events++;
    totals.skipped += Number(event.skipped) || 0;
    totals.dropped += Number(event.dropped) || 0;
    const list = Array.isArray(event.items) ? event.items : [];
    totals.items += list.length;
    for (const item of list) {
      state.pending.push({
        direction: event.direction,
        kind: event.kind,
        timestampMs: event.timestampMs,
        item,
      });
    }
    // Only the newest MAX_ROWS could be shown anyway; the rest are let go before they cost a row.
    if (state.pending.length > MAX_ROWS) state.pending.splice(0, state.pending.length - MAX_ROWS);
    if (state.frame === 0) state.frame = requestAnimationFrame(flush);
  };

  const close = () => {
    if (state.source !== undefined) state.source.close();
    state.source = undefined;
  };

  const open = () => {
    close();
    const settings = { rate: Number(rate.value), direction: direction.value };
    const url =
      '/api/v0/components/' +
      encodeURIComponent(id) +
      '/tap?rate=' +
      encodeURIComponent(settings.rate) +
      '&direction=' +
      encodeURIComponent(settings.direction);
    const source = new EventSource(url);
    state.source = source;
    const describe = settings.direction + ', at most ' + settings.rate + ' items/s';
    setStatus('connecting', 'Connecting (' + describe + ')…');
    source.addEventListener('open', () => setStatus('live', 'Live (' + describe + ').'));
    source.addEventListener('message', receive);
    source.addEventListener('end', (message) => {
      let reason = '';
      try {
        reason = JSON.parse(message.data).reason;
      } catch {
        reason = '';
      }
      halt(
        'ended',
        'The server ended the stream' + (reason ? ': ' + reason : '') + '. Resume to open it again.',
      );
    });
    source.addEventListener('error', () => {
      if (state.source !== source) return;
      if (source.readyState === EventSource.CLOSED) {
        halt(
          'error',
          'The server refused or closed the stream (too many taps open, or a rate above its limit?). Resume to retry.',
        );
      } else {
        setStatus('connecting', 'Reconnecting (' + describe + ')…');
      }
    });
    history.replaceState(
      null,
      '',
      '#/tap/' + encodeURIComponent(id) + '?rate=' + settings.rate + '&direction=' + settings.direction,
    );
  };

  const showPaused = (paused) => {
    state.paused = paused;
    pauseButton.textContent = paused ? 'Resume' : 'Pause';
    pauseButton.setAttribute('aria-pressed', String(paused));
  };

  /** Stops the stream, leaving the view paused with why. */
  const halt = (name, text) => {
    close();
    state.pending = [];
    showPaused(true);
    setStatus(name, text);
  };

  const setPaused = (paused) => {
    if (paused) {
      halt('paused', 'Paused: the stream is closed and no new rows come. Resume to open it again.');
    } else {
      showPaused(false);
      open();
    }
  };

  pauseButton.addEventListener('click', () => setPaused(!state.paused));
  clearButton.addEventListener('click', () => {
    state.pending = [];
    rows.replaceChildren();
    for (const key of Object.keys(totals)) totals[key] = 0;
    showCounts();
  });
  const reopen = (event) => {
    if (event) event.preventDefault();
    const value = Math.floor(Number(rate.value));
    rate.value = String(Number.isFinite(value) && value >= 1 ? value : DEFAULT_RATE);
    if (state.paused) setPaused(false);
    else open();
  };
  form.addEventListener('submit', reopen);
  direction.addEventListener('change', () => reopen());
  filter.addEventListener('input', () => {
    state.filter = filter.value.trim().toLowerCase();
    for (const row of rows.rows) row.hidden = !matches(row);
    showCounts();
  });
  rows.addEventListener('click', (event) => {
    const row = event.target instanceof Element ? event.target.closest('tr') : null;
    if (row === null || !items.has(row)) return;
    const cell = row.querySelector('td.item');
    const shown = cell.querySelector('pre');
    if (shown) shown.remove();
    else cell.append(h('pre', { class: 'json' }, JSON.stringify(items.get(row), null, 2)));
  });

  life.onClose(() => {
    close();
    if (state.frame !== 0) cancelAnimationFrame(state.frame);
  });
  showCounts();

  getJson('/api/v0/components/' + encodeURIComponent(id), life.signal).then(
    (component) => {
      if (life.closed) return;
      kindsNote.textContent = '(' + component.type + ', ' + component.role + ')';
      direction.value = initial.direction ?? (component.role === 'sink' ? 'in' : 'out');
      open();
    },
    (error) => {
      if (life.closed) return;
      const text =
        error instanceof ApiError && error.status === 404
          ? 'No component “' + id + '” in this run.'
          : 'Cannot load the component: ' + describeError(error);
      problem.replaceChildren(errorBox(text));
      setStatus('error', 'Not connected.');
      form.hidden = true;
    },
  );
}
`;
