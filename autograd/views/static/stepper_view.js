// gradstep stepper, the view: the one front end of the notebook widget and the saved page.
//
// Python records every step and Graphviz lays the graph out once; the model (stepper_model.mjs,
// bundled before this file) says what every element shows at step k, and this view only
// writes the differences into the DOM. It finds SVG elements by the ids the trace names and
// marks them for users and tests:
//   [data-node-id]  a node's box        [data-op-of]   its op ellipse
//   [data-scope]    a collapsed scope   [data-edge-of] an edge into a node's op
//   [data-grad-of] / [data-data-of]     texts showing a node's grad / data (with data-prefix)
// The model is anywidget's (get, set, on, save_changes); the page passes a stand-in.

// A button named by its visible word; symbols around it are decoration (aria-hidden), so its
// accessible name is the word alone ("First", "Previous", "Next", "Last", as the README says).
function button(word, name, title, before = "", after = "") {
  const b = document.createElement("button");
  b.type = "button";
  for (const [text, hidden] of [[before, true], [word, false], [after, true]]) {
    if (!text) continue;
    const span = document.createElement("span");
    span.textContent = text;
    if (hidden) span.setAttribute("aria-hidden", "true");
    b.append(span);
  }
  if (name !== word) b.setAttribute("aria-label", name);
  b.title = title || name;
  return b;
}

// What the colours mean: the same rules as the graph's (stepper.css), on small swatches.
const LEGEND = [
  ["current", "current step"],
  ["done", "done"],
  ["pending", "pending"],
  ["final", "parameter, gradient final"],
];

function legend() {
  const list = element("ul", "gs-legend", { "aria-label": "Legend" });
  for (const [kind, text] of LEGEND) {
    const item = document.createElement("li");
    const swatch = element("span", `gs-swatch gs-swatch-${kind}`, { "aria-hidden": "true" });
    item.append(swatch, document.createTextNode(text));
    list.append(item);
  }
  return list;
}

function element(tag, className, attrs = {}) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

// -- the parts a user sees ------------------------------------------------------------------------
function buildParts(trace, svgText) {
  const last = trace.steps.length - 1;
  const root = element("div", "gs-stepper", { role: "group", "aria-label": "gradstep stepper" });
  root.tabIndex = 0;
  const header = element("div", "gs-header");
  const heading = element("div", "gs-title", { role: "heading", "aria-level": "1" });
  heading.textContent = trace.title;
  header.append(heading, legend());

  const bar = element("div", "gs-toolbar", { role: "toolbar", "aria-label": "Stepping" });
  const first = button("First", "First", "First step (Home)", "« ");
  const prev = button("Previous", "Previous", "Previous step (←)", "‹ ");
  const next = button("Next", "Next", "Next step (→)", "", " ›");
  const lastButton = button("Last", "Last", "Last step (End)", "", " »");
  const label = element("label", "gs-slider");
  const caption = document.createElement("span");
  caption.textContent = "Step";
  const slider = element("input", "", { type: "range", min: "0", max: String(last), step: "1" });
  slider.value = "0";
  label.append(caption, slider);
  const counter = element("span", "gs-counter"); // not <output>: its role would be "status" too
  const fit = button("Fit", "Fit graph", "Fit the whole graph in view");
  const zoomIn = button("+", "Zoom in");
  const zoomOut = button("−", "Zoom out");
  const follow = element("label", "gs-follow");
  const followBox = element("input", "", { type: "checkbox" });
  followBox.checked = true;
  follow.append(followBox, document.createTextNode(" follow"));
  bar.append(first, prev, next, lastButton, label, counter, fit, zoomIn, zoomOut, follow);

  const body = element("div", "gs-body");
  const view = element("div", "gs-view");
  view.innerHTML = svgText;
  const svg = view.querySelector("svg");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "computation graph");
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
  const panel = element("div", "gs-panel", { role: "region", "aria-label": "Current step" });
  const status = element("pre", "gs-status", { role: "status", "aria-live": "polite" });
  const table = element("div", "gs-table");
  panel.append(status, table);
  body.append(view, panel);
  root.append(header, bar, body);
  return { root, body, view, first, prev, next, lastButton, slider, counter, fit, zoomIn, zoomOut };
}

// The trace's elements, found by id, marked with the contract's data attributes.
function findElements(trace, svg) {
  const byId = new Map([...svg.querySelectorAll("[id]")].map((e) => [e.id, e]));
  const get = (id) => (id ? byId.get(id) : undefined);
  for (const node of trace.nodes) {
    const box = get(node.box);
    if (box) Object.assign(box.dataset, { nodeId: node.id, role: node.role, state: "pending" });
    const op = get(node.op);
    if (op) Object.assign(op.dataset, { opOf: node.id, state: "pending" });
  }
  for (const scope of trace.scopes) {
    const el = get(scope.element);
    el.dataset.scope = scope.scope;
    el.dataset.members = scope.members.join(" ");
    el.dataset.state = "pending";
  }
  const lines = trace.texts.map((t) => {
    const el = get(t.element).querySelectorAll("text")[t.line];
    const own = t.parts.length === 2; // "grad " + number: a node's own box line
    if (own) {
      el.setAttribute(`data-${t.parts[1].value}-of`, t.node);
      el.dataset.prefix = t.parts[0];
    }
    return el;
  });
  const edges = new Map();
  for (const edge of trace.edges) {
    const el = get(edge.element);
    el.dataset.edgeOf = edge.node;
    edges.set(edge.element, { el, title: el.querySelector("title") });
  }
  return { get, lines, edges };
}

// -- pan and zoom: a CSS transform on the SVG -----------------------------------------------------
// The SVG keeps its natural size (1 px per point) and moves as one composited layer, so panning
// a 1,000-node graph costs no relayout. at = (scale s, offset tx, ty) in px.
function panZoom(view, svg) {
  const full = svg.viewBox.baseVal;
  const whole = { x: full.x, y: full.y, w: full.width, h: full.height };
  svg.style.width = `${whole.w}px`;
  svg.style.height = `${whole.h}px`;
  const graph = svg.querySelector("g.graph");
  let at = { s: 1, tx: 0, ty: 0 };
  // the view's inside (within its border): where the graph is shown
  const frame = () => {
    const r = view.getBoundingClientRect();
    const left = r.left + view.clientLeft;
    const top = r.top + view.clientTop;
    return { left, top, width: view.clientWidth, height: view.clientHeight };
  };
  const apply = () => {
    svg.style.transform = `translate(${at.tx}px, ${at.ty}px) scale(${at.s})`;
    view.dataset.scale = at.s.toFixed(4); // for tests and curious users
  };
  // A graph larger than the view covers it (no blank margin beside it); a smaller one is
  // centred.
  const clamp = () => {
    const r = frame();
    for (const [t, size, room] of [["tx", whole.w, r.width], ["ty", whole.h, r.height]]) {
      const extent = size * at.s;
      at[t] = extent <= room ? (room - extent) / 2 : Math.min(0, Math.max(room - extent, at[t]));
    }
  };
  let fitted = false; // showing the whole graph: a new view size fits it again
  const fit = () => {
    const r = frame();
    if (!r.width) return;
    at.s = Math.min(r.width / whole.w, r.height / whole.h, 1.5);
    clamp();
    apply();
    fitted = true;
  };
  // The view changed size (a window resized, a sidebar opened): keep the whole graph in view
  // if it was, and otherwise keep it covering the view (no blank margin where the graph goes on).
  const resized = () => {
    if (!frame().width) return;
    if (fitted) return fit();
    clamp();
    apply();
  };
  const zoom = (factor, px, py) => {
    fitted = false;
    const r = frame();
    px = px ?? r.width / 2; // the point that stays put, in px inside the view
    py = py ?? r.height / 2;
    const s = Math.min(Math.max(at.s * factor, 0.02), 4);
    const f = s / at.s;
    at = { s, tx: px - (px - at.tx) * f, ty: py - (py - at.ty) * f };
    apply();
  };
  const boundsCache = new Map(); // boxes never move: measure each once
  const measure = (e) => {
    const b = e.getBBox(); // in SVG units; the graph group carries Graphviz's own translate
    const m = graph.transform.baseVal.consolidate();
    const t = m ? m.matrix : { a: 1, d: 1, e: 0, f: 0 };
    return { x: t.a * b.x + t.e - whole.x, y: t.d * b.y + t.f - whole.y, w: t.a * b.width, h: t.d * b.height };
  };
  const bounds = (e) => {
    if (!boundsCache.has(e)) boundsCache.set(e, measure(e));
    return boundsCache.get(e);
  };
  const around = (els) => {
    const parts = els.map(bounds);
    const x = Math.min(...parts.map((p) => p.x));
    const y = Math.min(...parts.map((p) => p.y));
    const w = Math.max(...parts.map((p) => p.x + p.w)) - x;
    const h = Math.max(...parts.map((p) => p.y + p.h)) - y;
    return { x, y, w, h };
  };
  const centreOn = (els) => {
    const b = around(els);
    const r = frame();
    at = { ...at, tx: r.width / 2 - (b.x + b.w / 2) * at.s, ty: r.height / 2 - (b.y + b.h / 2) * at.s };
    clamp();
    apply();
  };
  const inView = (els) => {
    const b = around(els);
    const r = frame();
    const x0 = at.tx + b.x * at.s;
    const y0 = at.ty + b.y * at.s;
    return x0 >= 0 && y0 >= 0 && x0 + b.w * at.s <= r.width && y0 + b.h * at.s <= r.height;
  };
  view.addEventListener(
    "wheel",
    (ev) => {
      ev.preventDefault();
      const r = frame();
      zoom(ev.deltaY > 0 ? 1 / 1.15 : 1.15, ev.clientX - r.left, ev.clientY - r.top);
    },
    { passive: false },
  );
  let drag = null;
  view.addEventListener("pointerdown", (ev) => {
    drag = { x: ev.clientX, y: ev.clientY, at: { ...at } };
    view.setPointerCapture(ev.pointerId);
  });
  view.addEventListener("pointermove", (ev) => {
    if (!drag) return;
    fitted = false;
    at = { ...drag.at, tx: drag.at.tx + ev.clientX - drag.x, ty: drag.at.ty + ev.clientY - drag.y };
    apply();
  });
  view.addEventListener("pointerup", () => (drag = null));
  return {
    natural: () => ({ w: whole.w, h: whole.h }),
    fit,
    zoom,
    centreOn,
    inView,
    scale: () => at.s,
    setScale: (s) => {
      at.s = s;
      fitted = false;
      clamp();
      apply();
    },
    resized,
    sized: () => frame().width > 0,
    forget: () => boundsCache.clear(),
  };
}

// -- the arrangement: the step's panel beside the graph or below it --------------------------------
// Beside it by default (wide windows, large graphs: fit-and-zoom as before). A graph that would
// show its text small beside the panel but readable over the whole width goes above the panel:
// its view as tall as the graph needs at that scale, the panel below taking the rest of the
// same height (the stepper's height never changes).
const READABLE = 1.0; // graph scale at which box text (10 pt) is about 11 px high
const MAX_SCALE = 1.5; // what "Fit" enlarges a small graph to at most
const PANEL_MIN = 176; // px (11rem) kept for the step's text and table below the graph

function arrange(parts, natural) {
  const { root, view, body } = parts;
  root.classList.remove("gs-stacked");
  root.style.removeProperty("--gs-view-height");
  root.style.removeProperty("--gs-panel-height");
  const side = view.getBoundingClientRect();
  const width = body.getBoundingClientRect().width;
  if (!side.width || width <= side.width + 1) return false; // not laid out, or one column
  const beside = Math.min(side.width / natural.w, side.height / natural.h, MAX_SCALE);
  if (beside >= READABLE) return false;
  const gap = parseFloat(getComputedStyle(body).rowGap) || 0;
  const room = side.height - PANEL_MIN - gap;
  const above = Math.min(width / natural.w, room / natural.h, MAX_SCALE);
  if (above < 0.6 || above < beside * 1.1) return false; // a large graph: fit-and-zoom
  const border = view.offsetHeight - view.clientHeight;
  const height = Math.ceil(natural.h * above) + border;
  root.classList.add("gs-stacked");
  root.style.setProperty("--gs-view-height", `${height}px`);
  root.style.setProperty("--gs-panel-height", `${Math.floor(side.height - height - gap)}px`);
  return true;
}

// -- writing a frame: only what differs from what is shown ----------------------------------------
function paint(parts, found, shown, f) {
  for (const [id, state] of Object.entries(f.states)) {
    if (shown.states[id] === state) continue;
    shown.states[id] = state;
    const el = found.get(id);
    if (el) el.dataset.state = state;
  }
  f.lines.forEach(([, , text], i) => {
    if (shown.lines[i] === text) return;
    shown.lines[i] = text;
    found.lines[i].textContent = text;
  });
  for (const [id, term] of Object.entries(f.terms)) {
    if (shown.terms[id] === term) continue;
    shown.terms[id] = term;
    const { title } = found.edges.get(id);
    if (title) title.textContent = term;
  }
  for (const id of shown.active) if (!f.active.includes(id)) found.edges.get(id).el.classList.remove("gs-active");
  for (const id of f.active) found.edges.get(id).el.classList.add("gs-active");
  shown.active = f.active;
  parts.status.textContent = f.status;
  parts.table.innerHTML = f.table;
  parts.slider.value = String(f.k);
  parts.slider.setAttribute("aria-valuetext", `step ${f.k} of ${f.last}`);
  parts.counter.textContent = `step ${f.k} / ${f.last}`;
  parts.first.disabled = parts.prev.disabled = f.k === 0;
  parts.next.disabled = parts.lastButton.disabled = f.k === f.last;
}

// The elements that show node `id`: its box and op, or the collapsed scope holding it.
function elementsOf(trace, found, byId, id) {
  const node = byId.get(id);
  const own = [found.get(node.box), found.get(node.op)].filter(Boolean);
  if (own.length) return own;
  const scope = trace.scopes.find((s) => s.members.includes(id));
  return scope ? [found.get(scope.element)] : [];
}

function render({ model, el }) {
  const trace = model.get("trace");
  const byId = nodesById(trace);
  const parts = buildParts(trace, model.get("svg"));
  parts.status = parts.root.querySelector(".gs-status");
  parts.table = parts.root.querySelector(".gs-table");
  el.append(parts.root);
  const view = parts.root.querySelector(".gs-view");
  const svg = view.querySelector("svg");
  const found = findElements(trace, svg);
  const pz = panZoom(view, svg);
  const followBox = parts.root.querySelector(".gs-follow input");
  const shown = { states: {}, lines: [], terms: {}, active: [] };
  let k = -1;
  let placed = false;

  function follow(current) {
    if (!placed || current === null || !followBox.checked) return;
    const els = elementsOf(trace, found, byId, current);
    if (els.length && !pz.inView(els)) pz.centreOn(els);
  }
  function show(target, sync = true) {
    target = Math.max(0, Math.min(trace.steps.length - 1, target | 0));
    const moved = target !== k;
    k = target;
    const f = frame(trace, k, byId);
    paint(parts, found, shown, f);
    follow(f.current);
    if (sync && moved && model.get("step") !== k) {
      model.set("step", k);
      model.save_changes();
    }
  }

  parts.first.addEventListener("click", () => show(0));
  parts.prev.addEventListener("click", () => show(k - 1));
  parts.next.addEventListener("click", () => show(k + 1));
  parts.lastButton.addEventListener("click", () => show(trace.steps.length - 1));
  parts.slider.addEventListener("input", () => show(Number(parts.slider.value)));
  parts.fit.addEventListener("click", pz.fit);
  parts.zoomIn.addEventListener("click", () => pz.zoom(1.5));
  parts.zoomOut.addEventListener("click", () => pz.zoom(1 / 1.5));
  parts.root.addEventListener("keydown", (ev) => {
    if (ev.target === parts.slider || ev.defaultPrevented) return; // the slider steps itself
    const to = { ArrowRight: k + 1, ArrowLeft: k - 1, Home: 0, End: trace.steps.length - 1 }[ev.key];
    if (to === undefined) return;
    ev.preventDefault();
    show(to);
  });
  model.on("change:step", () => show(model.get("step"), false));

  // A graph too big to read when fitted opens at a readable scale (1 px per point) around the
  // node where stepping starts, covering the view; "Fit" shows the whole of it. Placing needs
  // the view laid out: a notebook may render the widget before its output is in the page, or
  // in a cell out of view (JupyterLab's content-visibility), where every size reads 0. Until
  // then the view waits for its first real size.
  function place() {
    if (placed || !pz.sized()) return false;
    arrange(parts, pz.natural());
    pz.forget(); // boxes measured before layout read 0
    pz.fit();
    if (pz.scale() < 0.6) {
      pz.setScale(1);
      const start = trace.steps.find((s) => s.current !== null);
      const els = start ? elementsOf(trace, found, byId, start.current) : [];
      if (els.length) pz.centreOn(els);
    }
    placed = true;
    follow(trace.steps[k].current);
    return true;
  }
  show(model.get("step") || 0, false);
  place();
  if (typeof ResizeObserver !== "undefined") {
    // the first real size places the graph; later sizes keep it in view
    const observer = new ResizeObserver(() => {
      if (place() || !placed) return;
      arrange(parts, pz.natural());
      pz.resized();
    });
    observer.observe(parts.root);
  }
  return () => parts.root.remove();
}

export default { render };
