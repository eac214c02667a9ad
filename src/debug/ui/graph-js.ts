/**
 * The debug UI's pipeline graph (`/ui/graph.js`, route `#/graph`): an SVG of the run's
 * components in columns, sources left and sinks right, every edge labelled with its live items
 * per second. Refreshed every 1.5 s, in place while the topology stays the same; a click on a
 * component opens its page.
 */

/** The source of `/ui/graph.js`, an ES module for the browser. */
export const GRAPH_JS = String.raw`import {
  componentHref,
  describeError,
  errorBox,
  formatRate,
  getJson,
  HEALTH_STATES,
  h,
  healthClass,
  roleClass,
  s,
} from './dom.js';
import { layoutGraph, pathThrough } from './layout.js';

const SIZE = { nodeWidth: 220, nodeHeight: 66, gapX: 120, gapY: 26, padding: 16 };
const REFRESH_MS = 1500;

function truncate(text, max) {
  return text.length <= max ? text : text.slice(0, max - 1) + '…';
}

function topologyKey(graph) {
  return JSON.stringify([
    graph.nodes.map((n) => [n.id, n.type, n.role]),
    graph.edges.map((e) => [e.from, e.to]),
  ]);
}

function rateLine(node) {
  const parts = [];
  if (node.role !== 'source') parts.push('in ' + formatRate(node.rates.receivedPerSecond) + '/s');
  if (node.role !== 'sink') parts.push('out ' + formatRate(node.rates.sentPerSecond) + '/s');
  return parts.join(' · ');
}

function drawNode(node, place) {
  const { nodeWidth: w, nodeHeight: ht } = SIZE;
  const health = s('tspan', { class: 'node-health' });
  const rates = s('tspan', { class: 'node-rates' });
  const title = s('title');
  const element = s(
    'a',
    {
      href: componentHref(node.id),
      class: 'node',
      'data-testid': 'graph-node',
      'data-component-id': node.id,
      'aria-label': node.id,
    },
    title,
    s('rect', { class: 'node-box', x: place.x, y: place.y, width: w, height: ht, rx: 6 }),
    s('rect', { class: 'node-stripe', x: place.x, y: place.y, width: 6, height: ht, rx: 2 }),
    s('text', { class: 'node-id', x: place.x + 16, y: place.y + 21 }, truncate(node.id, 27)),
    s(
      'text',
      { class: 'node-meta', x: place.x + 16, y: place.y + 39 },
      truncate(node.type + ' · ' + node.role, 32),
    ),
    s('text', { class: 'node-line', x: place.x + 16, y: place.y + 56 }, health, rates),
  );
  return { element, title, health, rates };
}

function drawEdge(placed) {
  const text = s('text', {
    class: 'edge-label-text',
    x: placed.label[0],
    y: placed.label[1],
    'text-anchor': 'middle',
    'dominant-baseline': 'central',
    'data-testid': 'graph-edge-label',
  });
  const background = s('rect', { class: 'edge-label-bg', rx: 3, height: 18, y: placed.label[1] - 9 });
  const title = s('title');
  const element = s(
    'g',
    { class: 'edge', 'data-testid': 'graph-edge', 'data-from': placed.from, 'data-to': placed.to },
    title,
    s('path', { class: 'edge-line', d: pathThrough(placed.points), 'marker-end': 'url(#graph-arrow)' }),
    s('g', { class: 'edge-label' }, background, text),
  );
  return { element, text, background, title, center: placed.label[0] };
}

function draw(graph) {
  const layout = layoutGraph(graph.nodes, graph.edges, SIZE);
  const svg = s('svg', {
    id: 'graph',
    'data-testid': 'graph',
    class: 'graph',
    width: layout.width,
    height: layout.height,
    viewBox: '0 0 ' + layout.width + ' ' + layout.height,
    role: 'group',
    'aria-label': 'Pipeline graph',
  });
  const arrow = s(
    'marker',
    {
      id: 'graph-arrow',
      viewBox: '0 0 10 10',
      refX: 9,
      refY: 5,
      markerWidth: 7,
      markerHeight: 7,
      orient: 'auto-start-reverse',
    },
    s('path', { class: 'arrow', d: 'M0,0 L10,5 L0,10 z' }),
  );
  const edges = layout.edges.map((placed) => ({ data: placed.edge, ...drawEdge(placed) }));
  const nodes = graph.nodes.map((node) => ({ id: node.id, ...drawNode(node, layout.nodes.get(node.id)) }));
  svg.append(
    s('defs', null, arrow),
    s(
      'g',
      { class: 'edges' },
      edges.map((e) => e.element),
    ),
    s(
      'g',
      { class: 'nodes' },
      nodes.map((n) => n.element),
    ),
  );
  return { key: topologyKey(graph), svg, edges, nodes };
}

function update(drawn, graph) {
  const byId = new Map(graph.nodes.map((node) => [node.id, node]));
  for (const node of drawn.nodes) {
    const data = byId.get(node.id);
    if (data === undefined) continue;
    node.element.setAttribute('class', 'node ' + healthClass(data.health) + ' ' + roleClass(data.role));
    node.element.dataset.health = data.health;
    node.health.textContent = data.health + '  ';
    node.rates.textContent = rateLine(data);
    node.title.textContent = data.id + ' (' + data.type + ', ' + data.role + ', ' + data.health + ')';
  }
  const rates = new Map(graph.edges.map((edge) => [edge.from + '\u0000' + edge.to, edge]));
  for (const edge of drawn.edges) {
    const data = rates.get(edge.data.from + '\u0000' + edge.data.to) ?? edge.data;
    const label = formatRate(data.itemsPerSecond) + '/s';
    edge.text.textContent = label;
    edge.element.setAttribute('class', data.itemsPerSecond > 0 ? 'edge' : 'edge idle');
    edge.title.textContent =
      data.from + ' → ' + data.to + (data.kind ? ' (' + data.kind + ')' : '') + ': ' + label + ' items';
    let width = 0;
    try {
      width = edge.text.getComputedTextLength();
    } catch {
      width = 0;
    }
    if (!(width > 0)) width = label.length * 7;
    edge.background.setAttribute('x', String(edge.center - width / 2 - 5));
    edge.background.setAttribute('width', String(width + 10));
  }
}

function legend() {
  return h(
    'p',
    { class: 'legend muted' },
    'Health: ',
    HEALTH_STATES.map((state) => h('span', { class: 'health ' + healthClass(state) }, state)),
    h('span', { class: 'legend-idle' }, 'dashed edge: no items in the window'),
  );
}

/** Mounts the graph in view until life closes. */
export function mountGraph(view, life) {
  const note = h('p', { class: 'muted', id: 'graph-note' }, 'Loading…');
  const problem = h('div');
  const wrap = h('div', { class: 'graph-wrap', id: 'graph-wrap' });
  view.append(h('h1', null, 'Pipeline graph'), note, problem, wrap, legend());
  let drawn;
  life.poll(
    REFRESH_MS,
    async () => {
      const graph = await getJson('/api/v0/graph', life.signal);
      problem.replaceChildren();
      if (drawn === undefined || drawn.key !== topologyKey(graph)) {
        drawn = draw(graph);
        wrap.replaceChildren(drawn.svg);
      }
      update(drawn, graph);
      note.textContent =
        graph.nodes.length +
        ' components, ' +
        graph.edges.length +
        ' edges. Edge labels are items per second over the last ' +
        formatRate(graph.windowSeconds) +
        ' s. Click a component to open it.';
    },
    (error) => problem.replaceChildren(errorBox('Cannot load the graph: ' + describeError(error))),
  );
}
`;
