// gradstep stepper: the one front end of the notebook widget and the saved page.
//
// Python records every step and Graphviz lays the graph out once; this script only switches
// the states (data-state) and texts of the SVG elements Python annotated:
//   [data-node-id]  a node's box        [data-op-of]   its op ellipse
//   [data-scope]    a collapsed scope   [data-edge-of] an edge into a node's op
//   [data-grad-of] / [data-data-of]     texts showing a node's grad / data (with data-prefix)
// The model is anywidget's (get, set, on, save_changes); the page passes a stand-in.

function button(label, name, title) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.setAttribute("aria-label", name);
  b.title = title || name;
  return b;
}

function render({ model, el }) {
  const trace = model.get("trace");
  const last = trace.texts.length - 1;

  // -- the parts a user sees ----------------------------------------------------------------
  const root = document.createElement("div");
  root.className = "gs-stepper";
  root.tabIndex = 0;
  root.setAttribute("role", "group");
  root.setAttribute("aria-label", "gradstep stepper");
  const heading = document.createElement("div"); // the page's heading, and the widget's caption
  heading.className = "gs-title";
  heading.setAttribute("role", "heading");
  heading.setAttribute("aria-level", "1");
  heading.textContent = trace.title;

  const bar = document.createElement("div");
  bar.className = "gs-toolbar";
  bar.setAttribute("role", "toolbar");
  bar.setAttribute("aria-label", "Stepping");
  const first = button("« First", "First step");
  const prev = button("‹ Previous", "Previous step");
  const next = button("Next ›", "Next step");
  const lastButton = button("Last »", "Last step");
  const label = document.createElement("label");
  label.className = "gs-slider";
  const caption = document.createElement("span");
  caption.textContent = "Step";
  const slider = document.createElement("input");
  slider.type = "range";
  slider.min = "0";
  slider.max = String(last);
  slider.step = "1";
  slider.value = "0";
  label.append(caption, slider);
  const counter = document.createElement("span"); // not <output>: its role would be "status" too
  counter.className = "gs-counter";
  const fit = button("Fit", "Fit graph", "Fit the whole graph in view");
  const zoomIn = button("+", "Zoom in");
  const zoomOut = button("−", "Zoom out");
  const follow = document.createElement("label");
  follow.className = "gs-follow";
  const followBox = document.createElement("input");
  followBox.type = "checkbox";
  followBox.checked = true;
  follow.append(followBox, document.createTextNode(" follow"));
  bar.append(first, prev, next, lastButton, label, counter, fit, zoomIn, zoomOut, follow);

  const view = document.createElement("div");
  view.className = "gs-view";
  view.innerHTML = model.get("svg");
  const svg = view.querySelector("svg");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "computation graph");
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  svg.setAttribute("preserveAspectRatio", "xMidYMid meet");

  const panel = document.createElement("div");
  panel.className = "gs-panel";
  const status = document.createElement("pre");
  status.className = "gs-status";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  const table = document.createElement("div");
  table.className = "gs-table";
  panel.append(status, table);
  root.append(heading, bar, view, panel);
  el.append(root);

  // -- what the script switches ----------------------------------------------------------------
  const boxes = new Map([...svg.querySelectorAll("[data-node-id]")].map((e) => [e.dataset.nodeId, e]));
  const opEls = new Map([...svg.querySelectorAll("[data-op-of]")].map((e) => [e.dataset.opOf, e]));
  const scopes = [...svg.querySelectorAll("[data-scope]")].map((e) => ({
    el: e,
    members: e.dataset.members.split(" "),
  }));
  const edges = [...svg.querySelectorAll("[data-edge-of]")];
  const gradTexts = [...svg.querySelectorAll("[data-grad-of]")];
  const dataTexts = [...svg.querySelectorAll("[data-data-of]")];

  // What each text shows after step k: the last recorded change at or before k, else its
  // step-0 text. Changes are few per node, so a scan is enough.
  function changeLists(key) {
    const lists = new Map();
    trace[key].forEach((changes, step) => {
      for (const [id, t] of Object.entries(changes)) {
        if (!lists.has(id)) lists.set(id, []);
        lists.get(id).push([step, t]);
      }
    });
    return lists;
  }
  const changed = { grad: changeLists("grads"), data: changeLists("data") };
  const textsOf = new Map(); // node id -> [{el, kind}]
  for (const [kind, els] of [["grad", gradTexts], ["data", dataTexts]]) {
    for (const e of els) {
      const id = e.getAttribute(`data-${kind}-of`);
      e.dataset.base = e.textContent.slice(e.dataset.prefix.length);
      if (!textsOf.has(id)) textsOf.set(id, []);
      textsOf.get(id).push({ el: e, kind });
    }
  }
  function showTexts(id, k) {
    for (const { el, kind } of textsOf.get(id) || []) {
      let value = el.dataset.base;
      for (const [step, t] of changed[kind].get(id) || []) {
        if (step > k) break;
        value = t;
      }
      const text = el.dataset.prefix + value;
      if (el.textContent !== text) el.textContent = text;
    }
  }

  function opState(id, k) {
    const [f, b] = trace.ops[id];
    const F = trace.forward;
    if (k === 0) return "pending";
    if (k <= F) return f < k ? "done" : f === k ? "current" : "pending";
    return b < k ? "done" : b === k ? "current" : "pending";
  }

  function nodeState(id, k) {
    if (id in trace.ops) return opState(id, k);
    const doneAt = trace.leaves[id];
    if (k === 0) return "pending";
    if (k <= trace.forward) return "done"; // a leaf's value is known from the start
    return doneAt !== null && doneAt !== undefined && k >= doneAt ? "done" : "pending";
  }

  function setState(e, s) {
    if (e.dataset.state !== s) e.dataset.state = s;
  }

  // -- pan and zoom: a CSS transform on the SVG ------------------------------------------------
  // The SVG keeps its natural size (1 px per point) and moves as one composited layer, so
  // panning a 1,000-node graph costs no relayout. view = (scale s, offset tx, ty) in px.
  const full = svg.viewBox.baseVal;
  const whole = { x: full.x, y: full.y, w: full.width, h: full.height };
  svg.style.width = `${whole.w}px`;
  svg.style.height = `${whole.h}px`;
  const graph = svg.querySelector("g.graph");
  let at = { s: 1, tx: 0, ty: 0 };
  const frame = () => view.getBoundingClientRect();
  function apply() {
    svg.style.transform = `translate(${at.tx}px, ${at.ty}px) scale(${at.s})`;
    view.dataset.scale = at.s.toFixed(4); // for tests and curious users
  }
  function fitView() {
    const r = frame();
    if (!r.width) return; // not laid out yet: placed once it is
    const s = Math.min(r.width / whole.w, r.height / whole.h, 1.5);
    at = { s, tx: (r.width - whole.w * s) / 2, ty: (r.height - whole.h * s) / 2 };
    apply();
  }
  function zoom(factor, px, py) {
    const r = frame();
    px = px ?? r.width / 2; // the point that stays put, in px inside the view
    py = py ?? r.height / 2;
    const s = Math.min(Math.max(at.s * factor, 0.02), 4);
    const f = s / at.s;
    at = { s, tx: px - (px - at.tx) * f, ty: py - (py - at.ty) * f };
    apply();
  }
  const boundsCache = new Map(); // boxes never move: measure each once, not on every step
  function bounds(e) {
    if (!boundsCache.has(e)) boundsCache.set(e, measure(e));
    return boundsCache.get(e);
  }
  function measure(e) {
    // the element's box in SVG units (the graph group carries Graphviz's own translate)
    const b = e.getBBox();
    const m = graph.transform.baseVal.consolidate();
    const t = m ? m.matrix : { a: 1, d: 1, e: 0, f: 0 };
    return {
      x: t.a * b.x + t.e - whole.x,
      y: t.d * b.y + t.f - whole.y,
      w: t.a * b.width,
      h: t.d * b.height,
    };
  }
  function centreOn(b) {
    const r = frame();
    at = { ...at, tx: r.width / 2 - (b.x + b.w / 2) * at.s, ty: r.height / 2 - (b.y + b.h / 2) * at.s };
    apply();
  }
  let placed = false;
  function follow_(els) {
    els = els.filter(Boolean);
    if (!placed || !els.length || !followBox.checked) return;
    const parts = els.map(bounds); // a node's box and its op ellipse, together
    const x = Math.min(...parts.map((p) => p.x));
    const y = Math.min(...parts.map((p) => p.y));
    const b = {
      x,
      y,
      w: Math.max(...parts.map((p) => p.x + p.w)) - x,
      h: Math.max(...parts.map((p) => p.y + p.h)) - y,
    };
    const r = frame();
    const x0 = at.tx + b.x * at.s;
    const y0 = at.ty + b.y * at.s;
    const inside = x0 >= 0 && y0 >= 0 && x0 + b.w * at.s <= r.width && y0 + b.h * at.s <= r.height;
    if (!inside) centreOn(b);
  }
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
    at = { ...drag.at, tx: drag.at.tx + ev.clientX - drag.x, ty: drag.at.ty + ev.clientY - drag.y };
    apply();
  });
  view.addEventListener("pointerup", () => (drag = null));
  fit.addEventListener("click", fitView);
  zoomIn.addEventListener("click", () => zoom(1.5));
  zoomOut.addEventListener("click", () => zoom(1 / 1.5));

  // -- stepping --------------------------------------------------------------------------------------
  // A move by one step touches only the nodes whose state or texts change at either end of it
  // (indexed once below); a jump, or crossing step 0 or the end of the forward pass, redraws all.
  const allIds = new Set([...boxes.keys(), ...opEls.keys(), ...textsOf.keys()]);
  const touchedAt = Array.from({ length: last + 1 }, () => new Set());
  for (const [id, [f, b]] of Object.entries(trace.ops)) {
    if (f !== null) touchedAt[f].add(id);
    touchedAt[b].add(id);
  }
  for (const [id, doneAt] of Object.entries(trace.leaves)) if (doneAt !== null) touchedAt[doneAt].add(id);
  for (const key of ["grads", "data"]) {
    trace[key].forEach((changes, step) => Object.keys(changes).forEach((id) => touchedAt[step].add(id)));
  }
  const scopeById = new Map();
  for (const sc of scopes) for (const id of sc.members) scopeById.set(id, sc);
  const edgesOf = new Map();
  for (const e of edges) {
    const id = e.dataset.edgeOf;
    if (!edgesOf.has(id)) edgesOf.set(id, []);
    edgesOf.get(id).push({ el: e, title: e.querySelector("title") });
  }

  function refreshScope(sc, k) {
    const states = sc.members.filter((id) => id in trace.ops).map((id) => opState(id, k));
    const state = states.includes("current")
      ? "current"
      : states.length && states.every((x) => x === "done")
        ? "done"
        : "pending";
    setState(sc.el, state);
  }
  function refreshNode(id, k) {
    const box = boxes.get(id);
    if (box) setState(box, nodeState(id, k));
    const op = opEls.get(id);
    if (op) setState(op, opState(id, k));
    showTexts(id, k);
    const done = id in trace.ops && trace.ops[id][1] <= k;
    for (const { el, title } of edgesOf.get(id) || []) {
      const term = done ? trace.terms[el.id] : "not back-propagated yet";
      if (title && term && title.textContent !== term) title.textContent = term;
    }
  }
  function setActive(id, on) {
    for (const { el } of edgesOf.get(id) || []) el.classList.toggle("gs-active", on);
  }

  let k = -1;
  function show(target, sync = true) {
    target = Math.max(0, Math.min(last, target | 0));
    const from = k;
    const moved = target !== from;
    const low = Math.min(from, target);
    const full = from < 0 || Math.abs(target - from) !== 1 || low === 0 || low === trace.forward;
    const ids = full ? allIds : new Set([...touchedAt[from], ...touchedAt[target]]);
    k = target;
    for (const id of ids) refreshNode(id, k);
    if (full) scopes.forEach((sc) => refreshScope(sc, k));
    else new Set([...ids].map((id) => scopeById.get(id)).filter(Boolean)).forEach((sc) => refreshScope(sc, k));
    const before = from >= 0 && trace.current[from] !== null ? String(trace.current[from]) : null;
    const current = trace.current[k] === null ? null : String(trace.current[k]);
    if (full) edges.forEach((e) => e.classList.remove("gs-active"));
    else if (before !== null) setActive(before, false);
    if (current !== null) setActive(current, true);
    status.textContent = trace.texts[k];
    table.innerHTML = trace.tables[k];
    slider.value = String(k);
    slider.setAttribute("aria-valuetext", `step ${k} of ${last}`);
    counter.textContent = `step ${k} / ${last}`;
    first.disabled = prev.disabled = k === 0;
    next.disabled = lastButton.disabled = k === last;
    if (current !== null) {
      const own = [boxes.get(current), opEls.get(current)].filter(Boolean);
      follow_(own.length ? own : [scopeOf(current)]);
    }
    if (sync && moved && model.get("step") !== k) {
      model.set("step", k);
      model.save_changes();
    }
  }
  function scopeOf(id) {
    const sc = scopeById.get(id);
    return sc && sc.el;
  }

  first.addEventListener("click", () => show(0));
  prev.addEventListener("click", () => show(k - 1));
  next.addEventListener("click", () => show(k + 1));
  lastButton.addEventListener("click", () => show(last));
  slider.addEventListener("input", () => show(Number(slider.value)));
  function keys(ev) {
    if (ev.target === slider || ev.defaultPrevented) return; // the slider steps by itself
    const to = { ArrowRight: k + 1, ArrowLeft: k - 1, Home: 0, End: last }[ev.key];
    if (to === undefined) return;
    ev.preventDefault();
    show(to);
  }
  root.addEventListener("keydown", keys);
  model.on("change:step", () => show(model.get("step"), false));

  // A graph too big to read when fitted opens at a readable scale (1 px per point), centred
  // on the node where stepping starts; "Fit" shows the whole of it. Placing needs the view laid
  // out: a notebook may render the widget before its output is in the page, or in a cell out of
  // view that the browser does not lay out (JupyterLab's content-visibility), where every size
  // reads 0. Until then the view waits for its first real size.
  function place() {
    if (placed || !frame().width) return false;
    boundsCache.clear(); // boxes measured before layout read 0
    fitView();
    if (at.s < 0.6) {
      at = { ...at, s: 1 };
      const firstStep = String(trace.current.find((c) => c !== null));
      const target = boxes.get(firstStep) || opEls.get(firstStep) || scopeOf(firstStep);
      if (target) centreOn(bounds(target));
      else apply();
    }
    placed = true;
    const current = trace.current[k] === null ? null : String(trace.current[k]);
    if (current !== null) follow_([boxes.get(current), opEls.get(current)].filter(Boolean));
    return true;
  }
  show(model.get("step") || 0, false);
  if (!place() && typeof ResizeObserver !== "undefined") {
    const sized = new ResizeObserver(() => place() && sized.disconnect());
    sized.observe(view);
  }
  return () => root.remove();
}

// The saved page: the same render with a stand-in for anywidget's model, and the page's own
// keyboard (arrows step wherever the focus is, except in the slider, which steps by itself).
function mountPage(el, data) {
  const listeners = {};
  const model = {
    get: (key) => data[key],
    set: (key, value) => {
      data[key] = value;
    },
    save_changes: () => {},
    on: (event, fn) => {
      (listeners[event] = listeners[event] || []).push(fn);
    },
  };
  render({ model, el });
  const stepper = el.querySelector(".gs-stepper");
  document.addEventListener("keydown", (ev) => {
    if (stepper.contains(ev.target) || ev.target.tagName === "INPUT") return;
    stepper.dispatchEvent(new KeyboardEvent("keydown", { key: ev.key, bubbles: false }));
  });
}

export default { render };
