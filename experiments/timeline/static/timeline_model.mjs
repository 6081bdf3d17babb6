// gradstep timeline, the model: pure functions of the recorded timeline (no DOM).
//
// The data is experiments.timeline.data.timeline_json(), strict JSON:
//   epochs [e0, e1, ...]            the recorded epochs, shared by every run
//   leakySlope, X, y, box [x0min, x0max, x1min, x1max], planeReason ("" when the plane views show)
//   runs [{label, layers [2, 4, 4, 1], activations ["sigmoid", ...] per layer, bias,
//          shapes [[name, shape], ...] (the flat parameters' order), params (base64 of
//          little-endian float32, epoch after epoch), loss, accuracy, gradNorms [[per layer] ...]}]
// Each run has its own architecture. Numbers that are not finite come as "nan", "inf", "-inf".
// readTimeline(data) turns the document into numbers once; every other function takes its result.
// The network's forward pass is here so that the page draws each epoch's boundary and every
// neuron's picture from the weights alone; tests compare it with nets' predictions.

export function activation(name, slope) {
  const table = {
    sigmoid: (z) => 1 / (1 + Math.exp(-z)),
    tanh: Math.tanh,
    relu: (z) => (z > 0 ? z : 0),
    leaky_relu: (z) => (z > 0 ? z : slope * z),
    none: (z) => z,
  };
  if (!(name in table)) throw new Error(`unknown activation ${name}`);
  return table[name];
}

const NOT_FINITE = { nan: NaN, inf: Infinity, "-inf": -Infinity };

// A number of the document: a JSON number, or "nan" / "inf" / "-inf".
export function num(v) {
  if (typeof v === "number") return v;
  if (typeof v === "string" && v in NOT_FINITE) return NOT_FINITE[v];
  throw new Error(`not a number: ${JSON.stringify(v)}`);
}

function nums(list) {
  return list.map((v) => (Array.isArray(v) ? nums(v) : num(v)));
}

// base64 of little-endian float32 -> Float64Array.
export function float32s(text) {
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const view = new DataView(bytes.buffer);
  const out = new Float64Array(bytes.length / 4);
  for (let k = 0; k < out.length; k++) out[k] = view.getFloat32(4 * k, true);
  return out;
}

// The first recorded index whose loss is not finite (the run diverged there), or -1.
export function divergedAt(run) {
  return run.loss.findIndex((v) => !Number.isFinite(v));
}

// The document with numbers for numbers: per run params[i] (a Float64Array per recorded epoch),
// loss, accuracy and gradNorms as numbers (NaN and Infinity where the run diverged).
export function readTimeline(data) {
  const runs = data.runs.map((run) => {
    const count = run.shapes.reduce((n, [, shape]) => n + shape.reduce((a, b) => a * b, 1), 0);
    const flat = float32s(run.params);
    const params = data.epochs.map((_, i) => flat.subarray(i * count, (i + 1) * count));
    const read = { ...run, params, loss: nums(run.loss), accuracy: nums(run.accuracy), gradNorms: nums(run.gradNorms) };
    read.diverged = divergedAt(read);
    return read;
  });
  return { ...data, X: nums(data.X), y: nums(data.y), runs };
}

// Run `run`'s parameters at recorded index i as layers: W[i][j] (inputs x outputs) and b[j]
// (zeros without bias), with the layer's activation f.
export function layersOf(data, run, i) {
  const flat = run.params[i];
  const byName = {};
  let at = 0;
  for (const [name, shape] of run.shapes) {
    const size = shape.reduce((a, b) => a * b, 1);
    byName[name] = { shape, values: Array.from(flat.subarray(at, at + size)) };
    at += size;
  }
  const layers = [];
  for (let k = 1; k < run.layers.length; k++) {
    const [nIn, nOut] = [run.layers[k - 1], run.layers[k]];
    const W = byName[`W${k}`].values;
    const b = byName[`b${k}`] ? byName[`b${k}`].values : new Array(nOut).fill(0);
    const rows = [];
    for (let i = 0; i < nIn; i++) rows.push(W.slice(i * nOut, (i + 1) * nOut));
    layers.push({ W: rows, b, f: activation(run.activations[k - 1], data.leakySlope) });
  }
  return layers;
}

export function forward(layers, input) {
  const outs = [];
  let a = input;
  for (const { W, b, f } of layers) {
    const next = b.map((bj, j) => {
      let z = bj;
      for (let i = 0; i < a.length; i++) z += a[i] * W[i][j];
      return f(z);
    });
    outs.push(next);
    a = next;
  }
  return outs;
}

// Every neuron's output over a res x res grid of the input plane (row 0 at the top):
// pictures[k][j] is a Float64Array of res * res values for neuron j of layer k + 1.
// `layers` is layersOf(data, run, i) (the view builds it once per epoch for every picture).
// The grid goes through the network a layer at a time in flat arrays (a 2-32-32-1 network's
// 1,600 points in a few milliseconds); each sum runs in forward()'s order, so the numbers are
// forward()'s.
export function planePictures(data, layers, res) {
  const m = res * res;
  const [x0, x1, y0, y1] = data.box;
  let a = new Float64Array(m * 2);
  for (let r = 0; r < res; r++) {
    const v = y1 - ((r + 0.5) / res) * (y1 - y0);
    for (let c = 0; c < res; c++) {
      a[2 * (r * res + c)] = x0 + ((c + 0.5) / res) * (x1 - x0);
      a[2 * (r * res + c) + 1] = v;
    }
  }
  let width = 2;
  const pictures = [];
  for (const { W, b, f } of layers) {
    const nOut = b.length;
    const w = new Float64Array(width * nOut);
    for (let i = 0; i < width; i++) for (let j = 0; j < nOut; j++) w[i * nOut + j] = W[i][j];
    const next = new Float64Array(m * nOut);
    const pics = b.map(() => new Float64Array(m));
    for (let p = 0; p < m; p++) {
      const row = p * width;
      for (let j = 0; j < nOut; j++) {
        let z = b[j];
        for (let i = 0; i < width; i++) z += a[row + i] * w[i * nOut + j];
        const out = f(z);
        next[p * nOut + j] = out;
        pics[j][p] = out;
      }
    }
    pictures.push(pics);
    a = next;
    width = nOut;
  }
  return pictures;
}

// Per data point: does the network (its layers at one epoch) put it on its label's side?
// (a prediction >= 0.5 counts as 1, as nets' accuracy; the share of true is the accuracy)
export function classifiedRight(data, layers) {
  return data.X.map((x, i) => {
    const outs = forward(layers, x);
    return outs[outs.length - 1][0] >= 0.5 === data.y[i] >= 0.5;
  });
}

export function epochIndex(data, epoch) {
  const i = data.epochs.indexOf(epoch);
  if (i < 0) throw new Error(`epoch ${epoch} was not recorded`);
  return i;
}

function pct(a) {
  return `${(100 * a).toFixed(2)}%`;
}

export function formatLoss(v) {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
  return (Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5) || v === 0 ? v.toFixed(4) : v.toExponential(2);
}

// A number beside an axis: at most 7 characters.
export function formatAxis(v) {
  if (!Number.isFinite(v)) return formatLoss(v);
  return (Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4) || v === 0 ? String(Number(v.toPrecision(4))) : v.toExponential(1);
}

// The status line at recorded epoch number i: "epoch K: loss L, accuracy A%" (per run); a run
// whose loss stopped being finite at or before i reads "diverged at epoch D (loss inf)".
export function statusAt(data, i) {
  const parts = data.runs.map((run) => {
    const d = run.diverged;
    const text =
      d >= 0 && d <= i
        ? `diverged at epoch ${data.epochs[d]} (loss ${formatLoss(run.loss[d])})`
        : `loss ${formatLoss(run.loss[i])}, accuracy ${pct(run.accuracy[i])}`;
    return data.runs.length > 1 ? `${run.label}: ${text}` : text;
  });
  return `epoch ${data.epochs[i]}: ${parts.join("; ")}`;
}

// A log scale when the values span more than two decades (and are all positive).
export function useLog(values) {
  values = values.filter(Number.isFinite);
  const positive = values.filter((v) => v > 0);
  if (positive.length < values.length || !positive.length) return false;
  return Math.max(...positive) / Math.min(...positive) > 100;
}

// Map values to [0, 1] on a linear or log axis over [lo, hi].
// Values that are not finite are left out of the axis (and off the drawn line).
export function scaler(values, log) {
  const finite = values.filter(Number.isFinite);
  const vs = log ? finite.filter((v) => v > 0).map(Math.log10) : finite;
  let lo = Math.min(...vs);
  let hi = Math.max(...vs);
  if (hi === lo) [lo, hi] = [lo - 1, hi + 1];
  return (v) => ((log ? Math.log10(Math.max(v, 1e-300)) : v) - lo) / (hi - lo);
}

// An edge's look from its weight: width by |w| against the largest |w| of the epoch,
// blue for positive, red for negative.
// A weight that is not finite (a diverged run) is grey and thin.
export function edgeLook(w, largest) {
  if (!Number.isFinite(w)) return { width: 0.5, colour: "#999", opacity: 0.6 };
  const share = largest > 0 ? Math.abs(w) / largest : 0;
  return { width: 0.5 + 5.5 * share, colour: w >= 0 ? "#2b6cb0" : "#c53030", opacity: 0.25 + 0.75 * share };
}

// Where the network view puts its neurons: pictures of side `size` at (x, y) (top left) in a
// box `width` x `height`; the box grows with the widest layer so that no two pictures overlap
// (a gap of `gap` at least between neighbours, across and down).
export function networkLayout(sizes, width = 260) {
  const gap = 3;
  const widest = Math.max(...sizes);
  const cols = sizes.length;
  const across = (width - 28 - gap * (cols - 1)) / cols; // the widest side columns allow
  const down = (150 - gap * (widest + 1)) / widest; // the side that fits the widest layer in 150
  const side = Math.min(Math.max(10, Math.min(30, down)), across);
  const height = Math.max(150, widest * (side + gap) + gap);
  const at = (k, j) => ({
    x: 14 + (cols > 1 ? (k * (width - 28 - side)) / (cols - 1) : 0),
    y: ((j + 0.5) * height) / sizes[k] - side / 2,
  });
  return { width, height, size: side, at };
}
