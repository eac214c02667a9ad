/**
 * The debug UI's shared browser module (`/ui/dom.js`): element builders that only ever insert
 * text, JSON requests, number and time formats, and the lifecycle of a view (its timers,
 * requests and streams, all ended when the view is left).
 */

/** The source of `/ui/dom.js`, an ES module for the browser. */
export const DOM_JS = `const SVG_NS = 'http://www.w3.org/2000/svg';

export const HEALTH_STATES = ['starting', 'healthy', 'unhealthy', 'exited'];
const ROLES = ['source', 'transform', 'sink'];

function setAttributes(node, attributes) {
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') node.textContent = String(value);
    else if (name.startsWith('on') && typeof value === 'function')
      node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
}

function appendChildren(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    // Strings become text nodes: nothing from the API is ever parsed as markup.
    node.append(child instanceof Node ? child : String(child));
  }
}

/** An HTML element with attributes and children (nodes or text). */
export function h(tag, attributes, ...children) {
  const node = document.createElement(tag);
  setAttributes(node, attributes);
  appendChildren(node, children);
  return node;
}

/** An SVG element with attributes and children (nodes or text). */
export function s(tag, attributes, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  setAttributes(node, attributes);
  appendChildren(node, children);
  return node;
}

export function componentHref(id) {
  return '#/component/' + encodeURIComponent(id);
}

export function tapHref(id) {
  return '#/tap/' + encodeURIComponent(id);
}

export function healthClass(state) {
  return 'health-' + (HEALTH_STATES.includes(state) ? state : 'unknown');
}

export function roleClass(role) {
  return 'role-' + (ROLES.includes(role) ? role : 'unknown');
}

/** A health state as a coloured dot and its name. */
export function healthBadge(state) {
  return h('span', { class: 'health ' + healthClass(state), 'data-testid': 'health' }, String(state));
}

export function roleBadge(role) {
  return h('span', { class: 'role ' + roleClass(role) }, String(role));
}

/** What a component takes and emits, such as 'metrics → metrics'. */
export function kindsText(kinds) {
  const input = kinds && Array.isArray(kinds.input) ? kinds.input.join(' | ') : '';
  const output = kinds && typeof kinds.output === 'string' ? kinds.output : '';
  if (input === '') return output === '' ? '—' : '→ ' + output;
  return output === '' ? input + ' →' : input + ' → ' + output;
}

const RATE_FORMATS = [0, 1, 2].map(
  (digits) => new Intl.NumberFormat('en', { minimumFractionDigits: 0, maximumFractionDigits: digits }),
);
const COUNT_FORMAT = new Intl.NumberFormat('en');

/** Items per second, with fewer decimals as the rate grows. */
export function formatRate(perSecond) {
  if (typeof perSecond !== 'number' || !Number.isFinite(perSecond)) return '—';
  const digits = perSecond >= 100 ? 0 : perSecond >= 10 ? 1 : 2;
  return RATE_FORMATS[digits].format(perSecond);
}

export function formatCount(count) {
  return typeof count === 'number' && Number.isFinite(count) ? COUNT_FORMAT.format(count) : '—';
}

function pad(value, width) {
  return String(value).padStart(width, '0');
}

/** A time of day, local, to the millisecond. */
export function formatClock(ms) {
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return '—';
  return (
    pad(date.getHours(), 2) +
    ':' +
    pad(date.getMinutes(), 2) +
    ':' +
    pad(date.getSeconds(), 2) +
    '.' +
    pad(date.getMilliseconds(), 3)
  );
}

/** An ISO 8601 time as a local date and time. */
export function formatDateTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
}

/** An error answer of the debug API. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** GETs a JSON path of the debug API; throws an ApiError with the server's message when not 2xx. */
export async function getJson(path, signal) {
  const response = await fetch(path, { signal, headers: { Accept: 'application/json' } });
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const message = body && typeof body.message === 'string' ? body.message : 'HTTP ' + response.status;
    throw new ApiError(response.status, message);
  }
  return body;
}

export function isAbort(error) {
  return error instanceof DOMException && error.name === 'AbortError';
}

export function describeError(error) {
  if (error instanceof ApiError) return error.message + ' (HTTP ' + error.status + ')';
  if (error instanceof Error) return error.message;
  return String(error);
}

export function errorBox(text) {
  return h('p', { class: 'error', role: 'alert', 'data-testid': 'view-error' }, text);
}

/**
 * What a view holds while it is shown: an abort signal for its requests, polls that stop, and
 * callbacks (closing streams) that run when the view is left.
 */
export function createLifecycle() {
  const controller = new AbortController();
  const timers = new Set();
  const closers = [];
  const life = {
    signal: controller.signal,
    get closed() {
      return controller.signal.aborted;
    },
    /** Runs task now, then again every ms after each run ends; onError gets its failures. */
    poll(ms, task, onError) {
      const run = async () => {
        if (life.closed) return;
        try {
          await task();
        } catch (error) {
          if (!life.closed && !isAbort(error) && onError) onError(error);
        }
        if (life.closed) return;
        const timer = setTimeout(() => {
          timers.delete(timer);
          run();
        }, ms);
        timers.add(timer);
      };
      run();
    },
    onClose(closer) {
      closers.push(closer);
    },
    close() {
      controller.abort();
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const closer of closers.splice(0)) closer();
    },
  };
  return life;
}
`;
