// The dependency graph, as the Dependencies page draws it: which jobs are in it, in which layer
// (column) and row each goes, and where. Pure: jobs in, positions out (no page, no API).

/** A node's box and the gaps between them, in SVG units (CSS pixels at 1:1). */
export const NODE_W = 184;
export const NODE_H = 46;
export const GAP_X = 72; // wide enough for an arrow's curve to read as leaving one box for another
export const GAP_Y = 16;
export const PAD = 12;
export const WAYPOINT_H = 10; // the lane of an arrow passing a layer: narrower than a box

/**
 * @typedef {object} GraphNode
 * @property {string} id
 * @property {object | null} job the job, or null when it is deleted (a job still names it)
 * @property {string[]} upstream the ids of the jobs it runs after
 * @property {number} layer its column: 0 for a job that follows none, else one more than its deepest upstream
 * @property {number} x
 * @property {number} y its top; a waypoint's arrow runs at y + WAYPOINT_H / 2
 */

/**
 * The graph of the jobs with `after` and of the jobs they follow (a deleted one too). An arrow
 * that skips layers goes through a waypoint in each layer between, placed and ordered as a node
 * is (the classic layered-drawing trick): it then runs in a lane of its own rather than across
 * the boxes in between.
 * @param {object[]} jobs every job the caller sees
 * @returns {{nodes: GraphNode[], edges: {from: string, to: string, on: string, via: {x: number, y: number}[]}[],
 *   width: number, height: number}}
 */
export function dependencyGraph(jobs) {
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const nodes = new Map();
  const node = (id) => {
    if (!nodes.has(id)) {
      const job = byId.get(id) || null;
      nodes.set(id, { id, job, upstream: job?.after?.jobs || [], layer: 0, x: 0, y: 0 });
    }
    return nodes.get(id);
  };
  const edges = [];
  for (const job of jobs) {
    if (!job.after) continue;
    node(job.id);
    for (const id of job.after.jobs) {
      node(id);
      edges.push({ from: id, to: job.id, on: job.after.on, via: [] });
    }
  }
  layer([...nodes.values()], nodes);
  // The waypoints, and the one-layer links between consecutive points that ordering works on.
  const points = [...nodes.values()];
  const links = [];
  for (const e of edges) {
    let last = e.from;
    for (let l = nodes.get(e.from).layer + 1; l < nodes.get(e.to).layer; l++) {
      const waypoint = { id: `${e.from}\u2192${e.to}@${l}`, waypoint: true, layer: l, x: 0, y: 0 };
      points.push(waypoint);
      e.via.push(waypoint);
      links.push({ from: last, to: waypoint.id });
      last = waypoint.id;
    }
    links.push({ from: last, to: e.to });
  }
  const columns = order(points, links);
  return { nodes: [...nodes.values()], edges, ...place(columns) };
}

/** Each node's layer: the length of the longest path to it (the API refuses cycles; one met anyway stops the walk). */
function layer(list, nodes) {
  const done = new Map();
  const depth = (n, walking) => {
    if (done.has(n.id)) return done.get(n.id);
    if (walking.has(n.id)) return 0;
    walking.add(n.id);
    const ups = n.upstream.filter((id) => nodes.has(id)).map((id) => depth(nodes.get(id), walking));
    walking.delete(n.id);
    const d = ups.length ? 1 + Math.max(...ups) : 0;
    done.set(n.id, d);
    return d;
  };
  for (const n of list) n.layer = depth(n, new Set());
}

/**
 * The nodes of each layer in the order that crosses fewer arrows: alphabetical first, then a few
 * sweeps placing each node at the mean row of its neighbours in the layers already ordered (the
 * barycenter heuristic; exact crossing minimisation is NP-hard and not needed for ~30 nodes).
 */
function order(list, edges) {
  const label = (n) => (n.job?.label || n.id).toLowerCase(); // a waypoint's id starts with its upstream's
  const columns = [];
  for (const n of [...list].sort((a, b) => label(a).localeCompare(label(b)))) {
    (columns[n.layer] ||= []).push(n);
  }
  for (let i = 0; i < columns.length; i++) columns[i] ||= [];
  const ups = new Map(list.map((n) => [n.id, []]));
  const downs = new Map(list.map((n) => [n.id, []]));
  for (const e of edges) {
    ups.get(e.to).push(e.from);
    downs.get(e.from).push(e.to);
  }
  const row = new Map();
  const number = () => columns.forEach((col) => col.forEach((n, i) => row.set(n.id, i - (col.length - 1) / 2)));
  const sweep = (col, neighbours) => {
    const mean = (n) => {
      const rows = neighbours.get(n.id).map((id) => row.get(id));
      return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : row.get(n.id);
    };
    const keyed = col.map((n) => [mean(n), n]);
    keyed.sort((a, b) => a[0] - b[0]); // stable: ties keep the alphabetical order
    col.splice(0, col.length, ...keyed.map(([, n]) => n));
    number();
  };
  number();
  for (let pass = 0; pass < 4; pass++) {
    for (let i = 1; i < columns.length; i++) sweep(columns[i], ups);
    for (let i = columns.length - 2; i >= 0; i--) sweep(columns[i], downs);
  }
  return columns;
}

/** How tall an item of a column is: a box, or a waypoint's lane. */
const tall = (item) => (item.waypoint ? WAYPOINT_H : NODE_H);

/** x by layer, y by row, each column centred on the tallest; the drawing's size. */
function place(columns) {
  const extent = (col) => col.reduce((sum, item) => sum + tall(item), 0) + Math.max(0, col.length - 1) * GAP_Y;
  const inner = Math.max(0, ...columns.map(extent));
  columns.forEach((col, layerIndex) => {
    let y = PAD + (inner - extent(col)) / 2;
    for (const item of col) {
      item.x = PAD + layerIndex * (NODE_W + GAP_X);
      item.y = y;
      y += tall(item) + GAP_Y;
    }
  });
  const width = PAD * 2 + columns.length * NODE_W + Math.max(0, columns.length - 1) * GAP_X;
  return { width, height: PAD * 2 + inner };
}
