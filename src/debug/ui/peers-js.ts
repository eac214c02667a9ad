/**
 * The debug UI's cluster page (`/ui/peers.js`, route `#/peers`): every member of the attached
 * cluster with its address, state, incarnation and share of the hash ring, this node marked, and
 * this node's health score. Refreshed every 2 s. It asks `/api/v0/status` first and requests
 * `/api/v0/peers` only when a cluster is attached.
 */

/** The source of `/ui/peers.js`, an ES module for the browser. */
export const PEERS_JS = `import { describeError, errorBox, formatCount, getJson, h } from './dom.js';

const STATES = ['alive', 'suspect', 'dead', 'left'];

const COLUMNS = [
  ['Member', ''],
  ['Address', ''],
  ['State', ''],
  ['Incarnation', 'num'],
  ['Ring share', 'num'],
];

const PERCENT = new Intl.NumberFormat('en', {
  style: 'percent',
  minimumFractionDigits: 1,
  maximumFractionDigits: 1,
});

/** 'host:port', with an IPv6 address in brackets; the address alone when there is no port. */
function addressText(peer) {
  if (typeof peer.port !== 'number') return String(peer.address);
  const host = String(peer.address).includes(':') ? '[' + peer.address + ']' : String(peer.address);
  return host + ':' + peer.port;
}

function stateBadge(state) {
  if (typeof state !== 'string') return h('span', { class: 'muted', 'data-testid': 'peer-state' }, 'live');
  const known = STATES.includes(state) ? state : 'unknown';
  return h('span', { class: 'health member-' + known, 'data-testid': 'peer-state' }, state);
}

function shareCell(share) {
  if (typeof share !== 'number' || !Number.isFinite(share)) return h('td', { class: 'num muted' }, '—');
  return h(
    'td',
    { class: 'num share', 'data-testid': 'peer-share' },
    h('meter', { min: 0, max: 1, value: share, title: 'share of the hash ring' }),
    ' ',
    PERCENT.format(share),
  );
}

function row(peer) {
  return h(
    'tr',
    {
      'data-testid': 'peer-row',
      'data-peer-name': peer.name,
      'data-state': peer.state ?? 'live',
      'data-self': String(peer.self === true),
    },
    h(
      'td',
      null,
      h('span', { class: 'peer-name' }, peer.name),
      peer.self ? h('span', { class: 'chip chip-ok self-marker', 'data-testid': 'peer-self' }, 'this node') : null,
    ),
    h('td', { class: 'mono' }, addressText(peer)),
    h('td', null, stateBadge(peer.state)),
    h('td', { class: 'num' }, typeof peer.incarnation === 'number' ? formatCount(peer.incarnation) : '—'),
    shareCell(peer.share),
  );
}

function summaryText(body) {
  const counts = new Map();
  for (const peer of body.peers) {
    const state = peer.state ?? 'live';
    counts.set(state, (counts.get(state) ?? 0) + 1);
  }
  const total = body.peers.length;
  const parts = [total + (total === 1 ? ' member' : ' members')];
  const states = [...counts].map(([state, count]) => count + ' ' + state);
  if (states.length > 0) parts[0] += ' (' + states.join(', ') + ')';
  if (typeof body.name === 'string') parts.push('this node: ' + body.name);
  if (typeof body.healthScore === 'number') {
    parts.push('health score ' + body.healthScore + (body.healthScore === 0 ? ' (healthy)' : ' (slow to keep up)'));
  }
  return parts.join(' · ') + '.';
}

/** Mounts the cluster page in view until life closes. */
export function mountPeers(view, life) {
  const summary = h('p', { class: 'muted', id: 'peers-summary', 'data-testid': 'peers-summary' }, 'Loading…');
  const problem = h('div');
  const body = h('tbody');
  const table = h(
    'table',
    { id: 'peers-table', 'data-testid': 'peers-table', class: 'grid' },
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
  const wrap = h('div', { class: 'table-wrap' }, table);
  view.append(h('h1', null, 'Cluster'), summary, problem, wrap);
  let attached;
  life.poll(
    2000,
    async () => {
      if (attached === undefined) {
        const status = await getJson('/api/v0/status', life.signal);
        attached = status.cluster === true;
      }
      if (!attached) {
        summary.textContent = 'No cluster is attached to this run.';
        wrap.hidden = true;
        return;
      }
      const peers = await getJson('/api/v0/peers', life.signal);
      problem.replaceChildren();
      summary.textContent = summaryText(peers);
      body.replaceChildren(...peers.peers.map(row));
    },
    (error) => problem.replaceChildren(errorBox('Cannot load the cluster: ' + describeError(error))),
  );
}
`;
