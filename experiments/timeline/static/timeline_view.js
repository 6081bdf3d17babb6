// gradstep timeline, the view: training as it happened, epoch by epoch, for the widget and the
// saved page. The model (timeline_model.mjs, bundled before this file) computes; this file only
// draws. Per run (small multiples on one shared slider):
//   [data-view="boundary"]   the decision boundary over the input plane, data points on top
//   [data-view="loss"]       the training loss (log scale when it spans decades) and accuracy
//   [data-view="network"]    neurons with their own picture of the plane, edges by weight
//   [data-view="gradients"]  each layer's gradient size over the epochs
// The root carries data-epoch; role="status" reads "epoch K: loss L, accuracy A%". A click on a
// data point opens its backward stepper at the current epoch (stepperView, bundled in scope).

const NS = "http://www.w3.org/2000/svg";
const RES = 40; // the plane's pictures: RES x RES forward passes per run and epoch

function el(tag, className, attrs = {}) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

function svgEl(tag, attrs = {}) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

// Diverging colour for a value in [0, 1] (red 0, white 0.5, blue 1), as the lab's figures;
// grey where the value is not a number (a diverged run).
function colourOf(p) {
  if (!Number.isFinite(p)) return [160, 160, 160];
  const t = Math.max(0, Math.min(1, p));
  const red = [214, 39, 40];
  const blue = [31, 119, 180];
  const [c, s] = t < 0.5 ? [red, (0.5 - t) * 2] : [blue, (t - 0.5) * 2];
  return c.map((v) => Math.round(255 + (v - 255) * s));
}

// colourOf at 1,024 steps of [0, 1] (RGBA), and grey for values that are not numbers
const SHADES = 1024;
const PALETTE = new Uint8ClampedArray(4 * (SHADES + 1));
for (let k = 0; k <= SHADES; k++) PALETTE.set([...colourOf(k < SHADES ? k / (SHADES - 1) : NaN), 255], 4 * k);

// The palette entry (a byte offset) of value v on the scale [lo, hi].
function shadeOf(v, lo, hi) {
  const t = (v - lo) / (hi - lo || 1);
  return 4 * (Number.isFinite(lo) && Number.isFinite(hi) && Number.isFinite(t) ? Math.round(Math.max(0, Math.min(1, t)) * (SHADES - 1)) : SHADES);
}

function paintPicture(canvas, values, lo = 0, hi = 1) {
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(RES, RES);
  for (let i = 0; i < values.length; i++) {
    const k = shadeOf(values[i], lo, hi);
    image.data.set(PALETTE.subarray(k, k + 4), i * 4);
  }
  ctx.putImageData(image, 0, 0);
}

// A RES x RES picture into the square at (x, y) of side `side` (pixels) of a larger image.
function paintInto(image, values, x, y, side, lo, hi) {
  const shades = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) shades[i] = shadeOf(values[i], lo, hi);
  for (let py = 0; py < side; py++) {
    const row = Math.min(RES - 1, Math.floor((py * RES) / side));
    if (y + py < 0 || y + py >= image.height) continue;
    for (let px = 0; px < side; px++) {
      if (x + px < 0 || x + px >= image.width) continue;
      const k = shades[row * RES + Math.min(RES - 1, Math.floor((px * RES) / side))];
      image.data.set(PALETTE.subarray(k, k + 4), 4 * ((y + py) * image.width + x + px));
    }
  }
}

// -- a line chart over the epochs with a cursor -----------------------------------------------------
function chart(data, series, { title, width = 260, height = 120, yLabel }) {
  const svg = svgEl("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title });
  const pad = { l: 58, r: 6, t: 14, b: 16 };
  const w = width - pad.l - pad.r;
  const h = height - pad.t - pad.b;
  const last = data.epochs[data.epochs.length - 1] || 1;
  const x = (epoch) => pad.l + (epoch / last) * w;
  svg.append(svgEl("rect", { x: pad.l, y: pad.t, width: w, height: h, class: "tl-frame" }));
  const heading = svgEl("text", { x: pad.l, y: 10, class: "tl-chart-title" });
  heading.textContent = title;
  svg.append(heading);
  for (const s of series) {
    const span = s.over || s.values; // the axis spans every run's values: runs compare
    const log = s.log ?? useLog(span);
    const y = s.fixed ? (v) => v : scaler(span, log);
    // the line ends where the values stop being finite (a diverged run)
    const stop = s.values.findIndex((v) => !Number.isFinite(v));
    const shown = stop < 0 ? s.values : s.values.slice(0, stop);
    const inFrame = (v) => Math.max(0, Math.min(1, y(v))); // a zero on a log axis sits on its floor
    const points = shown.map((v, i) => `${x(data.epochs[i]).toFixed(1)},${(pad.t + (1 - inFrame(v)) * h).toFixed(1)}`);
    svg.append(svgEl("polyline", { points: points.join(" "), class: `tl-line ${s.className}`, stroke: s.colour || "" }));
    if (stop >= 0 && s.axis) {
      const end = svgEl("text", { x: width - pad.r - 3, y: pad.t + h - 4, class: "tl-diverged", "text-anchor": "end" });
      end.textContent = `diverged at epoch ${data.epochs[stop]}`;
      svg.append(end);
    }
    if (s.axis) {
      // the axis name turned upright along the left edge, clear of the numbers beside the axis
      const label = svgEl("text", { x: 0, y: 0, class: "tl-axis tl-axis-name", "text-anchor": "middle", transform: `translate(9 ${pad.t + h / 2}) rotate(-90)` });
      label.textContent = log ? `${yLabel} (log)` : yLabel;
      const positive = span.filter((v) => Number.isFinite(v) && (!log || v > 0));
      const top = svgEl("text", { x: pad.l - 3, y: pad.t + 8, class: "tl-axis", "text-anchor": "end" });
      const bottom = svgEl("text", { x: pad.l - 3, y: pad.t + h, class: "tl-axis", "text-anchor": "end" });
      if (positive.length) {
        top.textContent = formatAxis(Math.max(...positive));
        bottom.textContent = formatAxis(Math.min(...positive));
      }
      svg.append(label, top, bottom);
    }
  }
  const end = svgEl("text", { x: width - pad.r, y: height - 3, class: "tl-axis", "text-anchor": "end" });
  end.textContent = `epoch ${last.toLocaleString("en")}`;
  svg.append(end);
  const cursor = svgEl("line", { y1: pad.t, y2: pad.t + h, class: "tl-cursor" });
  svg.append(cursor);
  return {
    svg,
    move: (epoch) => {
      const at = x(epoch).toFixed(1);
      cursor.setAttribute("x1", at);
      cursor.setAttribute("x2", at);
    },
  };
}

// -- the network: neurons as pictures of the plane, edges by weight ---------------------------------
function networkView(data, run, plane) {
  const box = el("div", "tl-network", { "data-view": "network" });
  const sizes = run.layers; // this run's own architecture
  const { width, height, size, at } = networkLayout(sizes);
  box.style.aspectRatio = `${width} / ${height}`;
  const cols = sizes.length;
  const svg = svgEl("svg", { viewBox: `0 0 ${width} ${height}`, class: "tl-edges", role: "img", "aria-label": `${run.label}: network` });
  const edges = [];
  for (let k = 1; k < cols; k++) {
    for (let i = 0; i < sizes[k - 1]; i++) {
      for (let j = 0; j < sizes[k]; j++) {
        const [a, b] = [at(k - 1, i), at(k, j)];
        const line = svgEl("line", { x1: a.x + size, y1: a.y + size / 2, x2: b.x, y2: b.y + size / 2 });
        const title = svgEl("title");
        line.append(title);
        const edge = { line, title, k, i, j, w: 0 };
        // the weight's text is written when the pointer comes, not at every epoch
        line.addEventListener("pointerenter", () => (title.textContent = `W${k}[${i},${j}] = ${edge.w.toPrecision(4)}`));
        svg.append(line);
        edges.push(edge);
      }
    }
  }
  // every neuron's picture is painted on one canvas (one paint a step, not one per neuron);
  // each neuron is a box above it, with its name
  const SCALE = 2; // canvas pixels per unit of the layout
  const paint = el("canvas", "tl-pictures", { width: width * SCALE, height: Math.round(height * SCALE) });
  box.append(svg, paint);
  const neurons = [];
  for (let k = 0; k < cols; k++) {
    for (let j = 0; j < sizes[k]; j++) {
      const p = at(k, j);
      const pic = el("div", plane ? "tl-neuron" : "tl-neuron tl-blank");
      pic.style.left = `${(100 * p.x) / width}%`;
      pic.style.top = `${(100 * p.y) / height}%`;
      pic.style.width = `${(100 * size) / width}%`;
      pic.style.height = `${(100 * size) / height}%`;
      box.append(pic);
      const square = [Math.round(p.x * SCALE), Math.round(p.y * SCALE), Math.round(size * SCALE)];
      neurons.push({ pic, k, j, square });
    }
  }
  const ctx = paint.getContext("2d");
  const image = ctx.createImageData(paint.width, paint.height);
  const inputs = [0, 1].map((j) => {
    const values = new Float64Array(RES * RES);
    for (let r = 0; r < RES; r++) for (let c = 0; c < RES; c++) values[r * RES + c] = j === 0 ? c / (RES - 1) : 1 - r / (RES - 1);
    return values;
  });
  function show(layers, pictures) {
    const largest = Math.max(0, ...layers.flatMap((l) => l.W.flat().map(Math.abs)).filter(Number.isFinite));
    for (const e of edges) {
      const w = layers[e.k - 1].W[e.i][e.j];
      const look = edgeLook(w, largest);
      e.line.setAttribute("stroke", look.colour);
      e.line.setAttribute("stroke-width", look.width.toFixed(2));
      e.line.setAttribute("stroke-opacity", look.opacity.toFixed(2));
      e.w = w;
    }
    for (const n of neurons) {
      if (n.k === 0) {
        n.pic.title = `input x[${n.j}]`;
        if (plane) paintInto(image, inputs[n.j], ...n.square, 0, 1);
        continue;
      }
      const bias = run.bias ? `, b = ${layers[n.k - 1].b[n.j].toPrecision(4)}` : "";
      n.pic.title = `${n.k === cols - 1 ? "output" : `layer ${n.k}`} neuron ${n.j}${bias}`;
      if (pictures) {
        const values = pictures[n.k - 1][n.j];
        const bounded = run.activations[n.k - 1] === "sigmoid";
        const [lo, hi] = bounded ? [0, 1] : [Math.min(...values), Math.max(...values)];
        paintInto(image, values, ...n.square, lo, hi);
      }
    }
    if (plane) ctx.putImageData(image, 0, 0);
  }
  return { box, show };
}

// -- one run's four views ------------------------------------------------------------------------
function runCard(data, run, r, onPoint, shared) {
  const card = el("section", "tl-run", { "aria-label": run.label });
  const head = el("h3", "tl-run-title");
  head.textContent = run.label;
  card.append(head);
  const plane = !data.planeReason;
  const boundary = el("div", "tl-boundary", { "data-view": "boundary" });
  let field = null;
  let dots = null;
  if (plane) {
    field = el("canvas", "tl-field", { width: RES, height: RES, role: "img", "aria-label": `${run.label}: decision boundary` });
    dots = el("canvas", "tl-points", { width: 240, height: 240, role: "img", "aria-label": `${run.label}: data points` });
    boundary.append(field, dots);
    dots.addEventListener("click", (ev) => {
      const sample = nearestPoint(data, dots, ev);
      if (sample !== null) onPoint(sample, r);
    });
  } else {
    const why = el("p", "tl-absent");
    why.textContent = `No boundary: ${data.planeReason}.`;
    boundary.append(why);
  }
  const losses = chart(
    data,
    [
      { values: run.loss, over: shared.loss, className: "tl-loss", axis: true },
      // accuracy means nothing once the outputs are not numbers: it ends with the loss
      { values: run.diverged < 0 ? run.accuracy : run.accuracy.slice(0, run.diverged), className: "tl-acc", fixed: true },
    ],
    { title: `training loss, ${data.lossName} (accuracy dashed)`, yLabel: "loss" },
  );
  losses.svg.setAttribute("data-view", "loss");
  const net = networkView(data, run, plane);
  const colours = ["#6b46c1", "#dd6b20", "#2f855a", "#b83280", "#2c5282"];
  const norms = run.gradNorms;
  const layerSeries = norms[0].map((_, k) => ({
    values: norms.map((row) => row[k]),
    over: shared.grads,
    className: "tl-grad",
    colour: colours[k % colours.length],
    log: true,
    axis: k === 0,
  }));
  const grads = chart(data, layerSeries, { title: "gradient size per layer (colours below)", yLabel: "|grad|" });
  grads.svg.setAttribute("data-view", "gradients");
  const legend = el("div", "tl-legend");
  norms[0].forEach((_, k) => {
    const item = el("span");
    item.style.color = colours[k % colours.length];
    item.textContent = `■ layer ${k + 1}`;
    legend.append(item);
  });
  card.append(boundary, losses.svg, net.box, grads.svg, legend);
  return {
    card,
    show(i) {
      const layers = layersOf(data, run, i);
      const pictures = plane ? planePictures(data, layers, RES) : null;
      if (field) paintPicture(field, pictures[pictures.length - 1][0]);
      if (dots) {
        const right = classifiedRight(data, layers);
        drawPoints(data, dots, right);
        dots.dataset.right = String(right.filter(Boolean).length);
      }
      net.show(layers, pictures);
      losses.move(data.epochs[i]);
      grads.move(data.epochs[i]);
      card.dataset.epoch = data.epochs[i];
    },
  };
}

function toCanvas(data, canvas, [u, v]) {
  const [x0, x1, y0, y1] = data.box;
  return [((u - x0) / (x1 - x0)) * canvas.width, (1 - (v - y0) / (y1 - y0)) * canvas.height];
}

// The data points in their label's colour: filled where the network classifies them right at
// this epoch, hollow (a ring) where it does not.
function drawPoints(data, canvas, right) {
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  data.X.forEach((p, i) => {
    const [cx, cy] = toCanvas(data, canvas, p);
    const colour = data.y[i] >= 0.5 ? "#1f77b4" : "#d62728";
    ctx.beginPath();
    ctx.arc(cx, cy, 5, 0, 2 * Math.PI);
    ctx.fillStyle = right[i] ? colour : "#fff";
    ctx.fill();
    ctx.lineWidth = right[i] ? 1.5 : 2.5;
    ctx.strokeStyle = right[i] ? "#222" : colour;
    ctx.stroke();
  });
}

// What the marks mean, once for every run.
function legend() {
  const key = el("div", "tl-key", { role: "note", "aria-label": "Legend" });
  const items = [
    ["tl-key-dot tl-key-blue", "label 1 point"],
    ["tl-key-dot tl-key-red", "label 0 point"],
    ["tl-key-dot tl-key-hollow", "hollow: misclassified at this epoch (filled: right)"],
    ["tl-key-field", "background: the prediction (red 0, white 0.5, blue 1)"],
    ["tl-key-line", "loss"],
    ["tl-key-line tl-key-dashed", "accuracy (0 to 100%)"],
    ["tl-key-line tl-key-cursor", "this epoch"],
    ["tl-key-edge", "edges: blue positive, red negative weight, width by size"],
  ];
  for (const [mark, text] of items) {
    const item = el("span", "tl-key-item");
    const swatch = el("span", mark, { "aria-hidden": "true" });
    const words = el("span");
    words.textContent = text;
    item.append(swatch, words);
    key.append(item);
  }
  return key;
}

function nearestPoint(data, canvas, ev) {
  const r = canvas.getBoundingClientRect();
  const px = ((ev.clientX - r.left) / r.width) * canvas.width;
  const py = ((ev.clientY - r.top) / r.height) * canvas.height;
  let best = null;
  let bestD = 10 * 10;
  data.X.forEach((p, i) => {
    const [cx, cy] = toCanvas(data, canvas, p);
    const d = (cx - px) ** 2 + (cy - py) ** 2;
    if (d < bestD) [best, bestD] = [i, d];
  });
  return best;
}

// -- the whole --------------------------------------------------------------------------------------
function render({ model, el: host }) {
  const data = readTimeline(model.get("timeline"));
  const last = data.epochs.length - 1;
  const root = el("div", "tl-timeline", { role: "group", "aria-label": "gradstep training timeline" });
  root.tabIndex = 0;
  const heading = el("div", "tl-title", { role: "heading", "aria-level": "1" });
  heading.textContent = `Training: ${data.runs.map((r) => r.label).join(" | ")}`;
  const bar = el("div", "tl-toolbar", { role: "toolbar", "aria-label": "Epochs" });
  const play = el("button", "", { type: "button", "aria-label": "Play" });
  play.textContent = "▶ Play";
  const label = el("label", "tl-slider");
  const caption = el("span");
  caption.textContent = "Epoch";
  const slider = el("input", "", { type: "range", min: "0", max: String(last), step: "1" });
  label.append(caption, slider);
  const counter = el("span", "tl-counter");
  bar.append(play, label, counter);
  const status = el("p", "tl-status", { role: "status", "aria-live": "polite" });
  const grid = el("div", "tl-runs");
  const stepperBox = el("div", "tl-stepper");
  const head = el("div", "tl-head"); // stays in view while the runs' views scroll under it
  head.append(bar, status);
  root.append(heading, head, legend(), grid, stepperBox);
  host.append(root);

  let i = -1;
  const live = model.get("request") !== undefined; // the widget: Python makes steppers
  function openStepper(sample, run) {
    const epoch = data.epochs[i];
    if (live) {
      model.set("request", { epoch, sample, run, at: Date.now() });
      model.save_changes();
      return;
    }
    const saved = (data.steppers || []).find((s) => s.epoch === epoch && s.sample === sample && s.run === run);
    stepperBox.replaceChildren();
    if (!saved) {
      const note = el("p", "tl-note");
      note.textContent = `No stepper saved for point ${sample} at epoch ${epoch}: save the page with steppers=[(${epoch}, ${sample})], or click a point in the notebook widget.`;
      stepperBox.append(note);
      reveal();
      return;
    }
    showStepper(saved);
  }
  // Bring the stepper (or the note) into view, its top just below the sticky header.
  function reveal() {
    stepperBox.style.scrollMarginTop = `${head.getBoundingClientRect().height + 8}px`;
    stepperBox.scrollIntoView({ block: "start" });
  }
  function showStepper(saved) {
    stepperBox.replaceChildren();
    const inner = { svg: saved.svg, trace: saved.trace, step: 0 };
    const stub = { get: (k) => inner[k], set: (k, v) => (inner[k] = v), save_changes: () => {}, on: () => {} };
    stepperView.render({ model: stub, el: stepperBox });
    reveal();
  }
  if (live) model.on("change:stepper", () => showStepper(model.get("stepper")));

  const shared = {
    loss: data.runs.flatMap((run) => run.loss.filter(Number.isFinite)),
    grads: data.runs.flatMap((run) => run.gradNorms.flat()),
  };
  const cards = data.runs.map((run, r) => runCard(data, run, r, openStepper, shared));
  grid.append(...cards.map((c) => c.card));

  function show(target, sync = true) {
    target = Math.max(0, Math.min(last, target | 0));
    if (target === i) return;
    i = target;
    for (const c of cards) c.show(i);
    status.textContent = statusAt(data, i);
    slider.value = String(i);
    slider.setAttribute("aria-valuetext", `epoch ${data.epochs[i]}`);
    counter.textContent = `epoch ${data.epochs[i].toLocaleString("en")} / ${data.epochs[last].toLocaleString("en")}`;
    root.dataset.epoch = String(data.epochs[i]);
    if (sync && model.get("epoch") !== data.epochs[i]) {
      model.set("epoch", data.epochs[i]);
      model.save_changes();
    }
  }

  let timer = null;
  function setPlaying(on) {
    if (on && i === last) show(0);
    clearInterval(timer);
    timer = on ? setInterval(() => (i >= last ? setPlaying(false) : show(i + 1)), 80) : null;
    play.textContent = on ? "❚❚ Pause" : "▶ Play";
    play.setAttribute("aria-label", on ? "Pause" : "Play");
  }
  play.addEventListener("click", () => setPlaying(timer === null));
  slider.addEventListener("input", () => show(Number(slider.value)));
  root.addEventListener("keydown", (ev) => {
    if (ev.target === slider || ev.defaultPrevented) return;
    const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: last }[ev.key];
    if (to === undefined) return;
    ev.preventDefault();
    show(to);
  });
  model.on("change:epoch", () => {
    const at = data.epochs.indexOf(model.get("epoch"));
    if (at >= 0) show(at, false);
  });
  const start = data.epochs.indexOf(model.get("epoch"));
  show(start >= 0 ? start : 0, false);
  return () => {
    clearInterval(timer);
    root.remove();
  };
}

export default { render };
