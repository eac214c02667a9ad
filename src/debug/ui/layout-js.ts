/**
 * The debug UI's graph layout (`/ui/layout.js`), a browser module without DOM access so it can
 * be tested on its own. Longest-path layering: components without inputs in the first column,
 * every other one a column right of its furthest upstream, sinks in the last column. An edge that
 * spans columns gets a waypoint in each column it crosses, kept in a slot of its own, so no edge
 * or label is drawn over a component. A few barycenter sweeps order each column to cut crossings.
 */

/** The source of `/ui/layout.js`, an ES module for the browser. */
export const LAYOUT_JS = `/**
 * Lays out nodes ({ id, role }) and edges ({ from, to }) in columns. size gives nodeWidth,
 * nodeHeight, gapX, gapY and padding. Returns the drawing's width and height, each node's
 * { x, y, column } by id, and each edge (same order as given, unknown ends and loops left out)
 * with the points its line goes through and where its label sits.
 */
export function layoutGraph(nodes, edges, size) {
  const { nodeWidth, nodeHeight, gapX, gapY, padding } = size;
  const ids = nodes.map((node) => node.id);
  const known = new Set(ids);
  const links = edges.filter((edge) => known.has(edge.from) && known.has(edge.to) && edge.from !== edge.to);
  const inputs = new Map(ids.map((id) => [id, []]));
  const outputs = new Map(ids.map((id) => [id, []]));
  for (const edge of links) {
    outputs.get(edge.from).push(edge);
    inputs.get(edge.to).push(edge);
  }

  const column = new Map(ids.map((id) => [id, 0]));
  const waiting = new Map(ids.map((id) => [id, inputs.get(id).length]));
  const queue = ids.filter((id) => waiting.get(id) === 0);
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i];
    for (const edge of outputs.get(id)) {
      column.set(edge.to, Math.max(column.get(edge.to), column.get(id) + 1));
      waiting.set(edge.to, waiting.get(edge.to) - 1);
      if (waiting.get(edge.to) === 0) queue.push(edge.to);
    }
  }
  let last = 0;
  for (const value of column.values()) last = Math.max(last, value);
  for (const node of nodes) {
    if (node.role === 'sink' && outputs.get(node.id).length === 0) column.set(node.id, last);
  }

  // Slots: a node, or an edge's waypoint. up and down link slots of neighbouring columns.
  const columns = Array.from({ length: last + 1 }, () => []);
  const slotOf = new Map();
  for (const id of ids) {
    const slot = { id, up: [], down: [] };
    slotOf.set(id, slot);
    columns[column.get(id)].push(slot);
  }
  const routes = links.map((edge) => {
    const waypoints = [];
    let previous = slotOf.get(edge.from);
    for (let c = column.get(edge.from) + 1; c < column.get(edge.to); c++) {
      const slot = { id: undefined, up: [previous], down: [] };
      previous.down.push(slot);
      columns[c].push(slot);
      waypoints.push(slot);
      previous = slot;
    }
    const target = slotOf.get(edge.to);
    if (column.get(edge.to) > column.get(edge.from)) {
      target.up.push(previous);
      previous.down.push(target);
    }
    return { edge, waypoints };
  });

  const order = (slots, neighbours) => {
    const position = (slot) => slot.index;
    const keyed = slots.map((slot, index) => {
      const linked = neighbours(slot);
      const key =
        linked.length === 0 ? index : linked.reduce((sum, other) => sum + position(other), 0) / linked.length;
      return { slot, key, index };
    });
    keyed.sort((a, b) => a.key - b.key || a.index - b.index);
    return keyed.map((entry) => entry.slot);
  };
  const index = () => {
    for (const slots of columns) {
      for (let i = 0; i < slots.length; i++) slots[i].index = i;
    }
  };
  index();
  for (let sweep = 0; sweep < 4; sweep++) {
    if (sweep % 2 === 0) {
      for (let c = 1; c < columns.length; c++) {
        columns[c] = order(columns[c], (slot) => slot.up);
        index();
      }
    } else {
      for (let c = columns.length - 2; c >= 0; c--) {
        columns[c] = order(columns[c], (slot) => slot.down);
        index();
      }
    }
  }

  const rows = Math.max(1, ...columns.map((slots) => slots.length));
  const pitch = nodeHeight + gapY;
  for (let c = 0; c < columns.length; c++) {
    const offset = ((rows - columns[c].length) * pitch) / 2;
    columns[c].forEach((slot, i) => {
      slot.x = padding + c * (nodeWidth + gapX);
      slot.y = padding + offset + i * pitch;
    });
  }

  // Ports: a node's edges leave and enter spread over its height, in the order of their far ends.
  const portY = (slot, edgesHere, edge, farY) => {
    const sorted = [...edgesHere].sort((a, b) => farY(a) - farY(b));
    const k = sorted.indexOf(edge);
    return slot.y + (nodeHeight * (k + 1)) / (sorted.length + 1);
  };
  const firstHop = new Map(
    routes.map((route) => [route.edge, route.waypoints[0] ?? slotOf.get(route.edge.to)]),
  );
  const lastHop = new Map(
    routes.map((route) => [
      route.edge,
      route.waypoints[route.waypoints.length - 1] ?? slotOf.get(route.edge.from),
    ]),
  );

  const placedEdges = routes.map((route) => {
    const { edge } = route;
    const from = slotOf.get(edge.from);
    const to = slotOf.get(edge.to);
    const points = [
      [from.x + nodeWidth, portY(from, outputs.get(edge.from), edge, (e) => firstHop.get(e).y)],
    ];
    for (const waypoint of route.waypoints) {
      const y = waypoint.y + nodeHeight / 2;
      points.push([waypoint.x, y], [waypoint.x + nodeWidth, y]);
    }
    points.push([to.x, portY(to, inputs.get(edge.to), edge, (e) => lastHop.get(e).y)]);
    const [ax, ay] = points[points.length - 2];
    const [bx, by] = points[points.length - 1];
    return { edge, from: edge.from, to: edge.to, points, label: [(ax + bx) / 2, (ay + by) / 2] };
  });

  const placedNodes = new Map(
    ids.map((id) => [id, { x: slotOf.get(id).x, y: slotOf.get(id).y, column: column.get(id) }]),
  );
  return {
    width: padding * 2 + columns.length * nodeWidth + (columns.length - 1) * gapX,
    height: padding * 2 + rows * nodeHeight + (rows - 1) * gapY,
    nodes: placedNodes,
    edges: placedEdges,
  };
}

/** SVG path data through points, with horizontal tangents so lines leave and enter level. */
export function pathThrough(points) {
  let d = 'M' + points[0][0] + ',' + points[0][1];
  for (let i = 1; i < points.length; i++) {
    const [ax, ay] = points[i - 1];
    const [bx, by] = points[i];
    const bend = (bx - ax) / 2;
    d += ' C' + (ax + bend) + ',' + ay + ' ' + (bx - bend) + ',' + by + ' ' + bx + ',' + by;
  }
  return d;
}
`;
