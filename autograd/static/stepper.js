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
  root.append(bar, view, panel);
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

  // The texts each node shows after step k: replay the recorded changes (cheap: a few per step).
  function textsAt(k, key, attr, elements) {
    const now = new Map();
    for (let i = 1; i <= k; i++) for (const [id, t] of Object.entries(trace[key][i])) now.set(id, t);
    for (const e of elements) {
      const id = e.getAttribute(attr);
      const base = e.dataset.base ?? (e.dataset.base = e.textContent.slice(e.dataset.prefix.length));
      const text = e.dataset.prefix + (now.has(id) ? now.get(id) : base);
      if (e.textContent !== text) e.textContent = text;
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

  // -- pan and zoom: the SVG's viewBox -----------------------------------------------------------
  const full = svg.viewBox.baseVal;
  const whole = { x: full.x, y: full.y, w: full.width, h: full.height };
  let home = { ...whole }; // what "Fit" shows: the whole graph, at most 1.5 px per point
  let box = { ...home };
  const graph = svg.querySelector("g.graph");
  function apply() {
    svg.setAttribute("viewBox", `${box.x} ${box.y} ${box.w} ${box.h}`);
  }
  function zoom(factor, cx, cy) {
    const w = Math.min(Math.max(box.w * factor, home.w / 60), home.w * 4);
    const h = (w / box.w) * box.h;
    cx = cx ?? box.x + box.w / 2;
    cy = cy ?? box.y + box.h / 2;
    box = { x: cx - ((cx - box.x) * w) / box.w, y: cy - ((cy - box.y) * h) / box.h, w, h };
    apply();
  }
  function toGraph(clientX, clientY) {
    const r = svg.getBoundingClientRect();
    const s = Math.max(box.w / r.width, box.h / r.height); // "meet": the larger scale wins
    const ox = r.left + (r.width - box.w / s) / 2;
    const oy = r.top + (r.height - box.h / s) / 2;
    return [box.x + (clientX - ox) * s, box.y + (clientY - oy) * s];
  }
  function bounds(e) {
    const b = e.getBBox();
    const m = graph.transform.baseVal.consolidate();
    const t = m ? m.matrix : { a: 1, d: 1, e: 0, f: 0 };
    return { x: t.a * b.x + t.e, y: t.d * b.y + t.f, w: t.a * b.width, h: t.d * b.height };
  }
  function follow_(e) {
    if (!e || !followBox.checked) return;
    const b = bounds(e);
    const inside =
      b.x >= box.x && b.y >= box.y && b.x + b.w <= box.x + box.w && b.y + b.h <= box.y + box.h;
    if (!inside) {
      box = { ...box, x: b.x + b.w / 2 - box.w / 2, y: b.y + b.h / 2 - box.h / 2 };
      apply();
    }
  }
  view.addEventListener(
    "wheel",
    (ev) => {
      ev.preventDefault();
      const [cx, cy] = toGraph(ev.clientX, ev.clientY);
      zoom(ev.deltaY > 0 ? 1.15 : 1 / 1.15, cx, cy);
    },
    { passive: false },
  );
  let drag = null;
  view.addEventListener("pointerdown", (ev) => {
    drag = { x: ev.clientX, y: ev.clientY, box: { ...box } };
    view.setPointerCapture(ev.pointerId);
  });
  view.addEventListener("pointermove", (ev) => {
    if (!drag) return;
    const r = svg.getBoundingClientRect();
    const s = Math.max(box.w / r.width, box.h / r.height);
    box = { ...drag.box, x: drag.box.x - (ev.clientX - drag.x) * s, y: drag.box.y - (ev.clientY - drag.y) * s };
    apply();
  });
  view.addEventListener("pointerup", () => (drag = null));
  fit.addEventListener("click", () => {
    box = { ...home };
    apply();
  });
  zoomIn.addEventListener("click", () => zoom(1 / 1.5));
  zoomOut.addEventListener("click", () => zoom(1.5));

  // -- stepping --------------------------------------------------------------------------------------
  let k = -1;
  function show(target, sync = true) {
    target = Math.max(0, Math.min(last, target | 0));
    const moved = target !== k;
    k = target;
    for (const [id, e] of boxes) setState(e, nodeState(id, k));
    for (const [id, e] of opEls) setState(e, opState(id, k));
    for (const s of scopes) {
      const states = s.members.filter((id) => id in trace.ops).map((id) => opState(id, k));
      const state = states.includes("current")
        ? "current"
        : states.length && states.every((x) => x === "done")
          ? "done"
          : "pending";
      setState(s.el, state);
    }
    const current = trace.current[k] === null ? null : String(trace.current[k]);
    for (const e of edges) {
      const of = e.dataset.edgeOf;
      e.classList.toggle("gs-active", of === current);
      const title = e.querySelector("title");
      const done = of in trace.ops && trace.ops[of][1] <= k;
      const term = done ? trace.terms[e.id] : "not back-propagated yet";
      if (title && term && title.textContent !== term) title.textContent = term;
    }
    textsAt(k, "grads", "data-grad-of", gradTexts);
    textsAt(k, "data", "data-data-of", dataTexts);
    status.textContent = trace.texts[k];
    table.innerHTML = trace.tables[k];
    slider.value = String(k);
    slider.setAttribute("aria-valuetext", `step ${k} of ${last}`);
    counter.textContent = `step ${k} / ${last}`;
    first.disabled = prev.disabled = k === 0;
    next.disabled = lastButton.disabled = k === last;
    if (current !== null) follow_(boxes.get(current) || opEls.get(current) || scopeOf(current));
    if (sync && moved && model.get("step") !== k) {
      model.set("step", k);
      model.save_changes();
    }
  }
  function scopeOf(id) {
    const s = scopes.find((x) => x.members.includes(id));
    return s && s.el;
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
  // on the node where stepping starts; "Fit" shows the whole of it.
  apply();
  const r = svg.getBoundingClientRect();
  const fitScale = Math.min(r.width / whole.w, r.height / whole.h);
  if (fitScale > 1.5) {
    const w = r.width / 1.5;
    const h = r.height / 1.5;
    home = { x: whole.x - (w - whole.w) / 2, y: whole.y - (h - whole.h) / 2, w, h };
    box = { ...home };
    apply();
  }
  if (r.width && r.height && fitScale < 0.6) {
    box = { x: home.x, y: home.y, w: r.width, h: r.height };
    const firstStep = trace.current.find((c) => c !== null);
    const target =
      boxes.get(String(firstStep)) || opEls.get(String(firstStep)) || scopeOf(String(firstStep));
    if (target) {
      const b = bounds(target);
      box = { ...box, x: b.x + b.w / 2 - box.w / 2, y: b.y + b.h / 2 - box.h / 2 };
    }
    apply();
  }
  show(model.get("step") || 0, false);
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
