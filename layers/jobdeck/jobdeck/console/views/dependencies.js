// The Dependencies page (#/dependencies): every job with `after` and the jobs it follows, as a
// graph drawn in SVG, upstream on the left, dependents on the right (lib/graph.js lays it out).
// Each box is styled by its job's last run, or disabled, or deleted (dashed: a job still names
// it), and opens its job's page. Refreshed every few seconds, redrawn only when something changed.

import { allJobs } from "../api.js";
import { ENDINGS } from "../form/after.js";
import { upstreamBadge } from "../lib/badges.js";
import { enc, fill, h, keepFocus, svg } from "../lib/dom.js";
import { NODE_H, NODE_W, WAYPOINT_H, dependencyGraph } from "../lib/graph.js";
import { poll } from "../lib/poll.js";
import { crumbs, current, onReload, show } from "../page.js";

const POLL_MS = 5000;
const MAX_CHARS = 23; // what fits a box's width at the label's size; the whole label is on hover

/** How a node stands, for its class and its second line: [class, words]. */
function standing(node) {
  if (!node.job) return ["deleted", "deleted"];
  if (!node.job.enabled) return ["disabled", "disabled"];
  const status = node.job.last_task?.status;
  return status ? [`status-${status.toLowerCase()}`, status] : ["never-run", "never run"];
}

const clip = (text) => (text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS - 1)}\u2026` : text);

/** One box: its job's label and how it stands, a link to its page (none for a deleted job: it has none). */
function nodeBox(node, hover) {
  const [cls, words] = standing(node);
  const label = node.job?.label || node.id;
  const problems = node.job?.upstream_problems?.length ? ` · ${upstreamBadge(node.job).textContent}` : "";
  const box = [
    svg("title", {}, `${label} (${node.id}): ${words}${problems}`),
    svg("rect", { width: NODE_W, height: NODE_H, rx: 7 }),
    svg("text", { x: 12, y: 19, class: "node-label" }, clip(label)),
    svg(
      "text",
      { x: 12, y: 36, class: "node-status" },
      words,
      problems && svg("tspan", { class: "node-warning" }, " \u26a0"),
    ),
  ];
  const attrs = {
    class: `node ${cls}${problems ? " has-problem" : ""}`,
    "data-job": node.id,
    transform: `translate(${node.x} ${node.y})`,
    onmouseenter: () => hover(node.id),
    onmouseleave: () => hover(null),
    onfocusin: () => hover(node.id),
    onfocusout: () => hover(null),
  };
  if (!node.job) return svg("g", attrs, box);
  const link = svg(
    "a",
    { href: `#/jobs/${enc(node.id)}`, id: `node-${node.id}`, "aria-label": `${label}: ${words}${problems}` },
    box,
  );
  return svg("g", attrs, link);
}

/**
 * The arrow from an upstream box's right edge to its dependent's left edge: a curve between
 * layers, straight across each layer it passes (in its waypoint's lane).
 */
function edgePath(from, to, via) {
  let [x, y] = [from.x + NODE_W, from.y + NODE_H / 2];
  let d = `M${x},${y}`;
  const curveTo = (x2, y2) => {
    const bend = (x2 - x) / 2;
    d += ` C${x + bend},${y} ${x2 - bend},${y2} ${x2},${y2}`;
    [x, y] = [x2, y2];
  };
  for (const point of via) {
    curveTo(point.x, point.y + WAYPOINT_H / 2);
    x = point.x + NODE_W;
    d += ` H${x}`;
  }
  curveTo(to.x - 2, to.y + NODE_H / 2); // the arrowhead's tip just short of the box
  return d;
}

/** The whole drawing; its nodes, edges and size from lib/graph.js. */
function drawing(graph) {
  const at = new Map(graph.nodes.map((n) => [n.id, n]));
  const edges = graph.edges.map((e) =>
    svg("path", {
      class: `edge on-${e.on.toLowerCase()}`,
      d: edgePath(at.get(e.from), at.get(e.to), e.via),
      "data-from": e.from,
      "data-to": e.to,
      "marker-end": `url(#arrow-${e.on.toLowerCase()})`,
    }),
  );
  const layer = svg("g", { class: "edges" }, edges);
  // Hovering (or focusing) a box brings forward the arrows in and out of it.
  const hover = (id) => {
    for (const e of edges) {
      const near = id && (e.dataset.from === id || e.dataset.to === id);
      e.classList.toggle("near", Boolean(near));
      e.classList.toggle("far", Boolean(id && !near));
    }
  };
  const marker = (on) =>
    svg(
      "marker",
      {
        id: `arrow-${on}`,
        class: `arrowhead on-${on}`,
        viewBox: "0 0 10 10",
        refX: 9,
        refY: 5,
        markerWidth: 7,
        markerHeight: 7,
        orient: "auto",
      },
      svg("path", { d: "M0,0 L10,5 L0,10 z" }),
    );
  return svg(
    "svg",
    {
      class: "dependency-graph",
      id: "dependency-graph",
      width: graph.width,
      height: graph.height,
      viewBox: `0 0 ${graph.width} ${graph.height}`,
      role: "group",
      "aria-label": `Dependency graph: ${graph.nodes.length} jobs, ${graph.edges.length} arrows`,
    },
    svg("defs", {}, ENDINGS.map(([on]) => marker(on.toLowerCase()))),
    layer,
    svg("g", { class: "nodes" }, graph.nodes.map((n) => nodeBox(n, hover))),
  );
}

/** What the colours and lines mean. */
function legend() {
  const swatch = (cls, text) => h("li", {}, h("span", { class: `swatch ${cls}`, "aria-hidden": "true" }), text);
  const line = (on, text) => h("li", {}, h("span", { class: `line on-${on}`, "aria-hidden": "true" }), text);
  return h(
    "ul",
    { class: "graph-legend", id: "graph-legend" },
    swatch("status-finished", "last run finished"),
    swatch("status-error", "last run failed"),
    swatch("status-running", "running"),
    swatch("never-run", "never run"),
    swatch("disabled", "disabled"),
    swatch("deleted", "deleted"),
    swatch("has-problem", "\u26a0 follows a deleted or disabled job"),
    line("finished", "runs after a finished run"),
    line("error", "after a failed run"),
    line("ended", "after any end"),
  );
}

/** What the drawing depends on: redrawn only when this changes (a redraw would lose the hover). */
const signature = (jobs) =>
  JSON.stringify(jobs.map((j) => [j.id, j.label, j.enabled, j.last_task?.status, j.after, j.upstream_problems]));

export async function dependenciesView(view) {
  const area = h("div", { class: "graph-area", id: "graph-area" });
  let drawn = null;

  async function refresh() {
    const jobs = await allJobs();
    if (!current(view)) return false;
    const now = signature(jobs);
    if (now === drawn) return;
    drawn = now;
    const graph = dependencyGraph(jobs);
    keepFocus(() =>
      fill(
        area,
        graph.nodes.length
          ? [h("div", { class: "graph-scroll" }, drawing(graph)), legend()]
          : h(
              "div",
              { class: "empty-state", id: "graph-empty" },
              h("p", {}, h("strong", {}, "No job runs after another yet.")),
              h(
                "p",
                { class: "muted" },
                "A job's ",
                h("em", {}, "After other jobs"),
                " (in its form) starts it once the jobs it lists have run: they appear here, upstream on the left.",
              ),
            ),
      ),
    );
  }

  show(
    "Dependencies",
    h(
      "div",
      { class: "page-head" },
      h(
        "div",
        {},
        crumbs(),
        h("h1", {}, "Dependencies"),
        h(
          "p",
          { class: "muted" },
          "Jobs that run after other jobs: each arrow goes from a job to the one that runs after it.",
        ),
      ),
    ),
    h("section", { class: "card" }, area),
  );
  onReload(async () => {
    drawn = null;
    await refresh();
  });
  await refresh();
  poll(refresh, POLL_MS);
}
