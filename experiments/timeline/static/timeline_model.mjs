// gradstep timeline, the model: pure functions of the recorded timeline (no DOM).
//
// The data is experiments.timeline.data.timeline_json():
//   epochs [e0, e1, ...]            the recorded epochs, shared by every run
//   layers [2, 4, 4, 1], activations ["sigmoid", ...] per layer, leakySlope, bias
//   shapes [[name, shape], ...]     the flat parameters' order (state_dict order)
//   X, y, box [x0min, x0max, x1min, x1max], planeReason ("" when the plane views show)
//   runs [{label, params: [[...] per epoch], loss, accuracy, gradNorms: [[per layer] ...]}]
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

// The flat parameters as layers: W[i][j] (inputs x outputs) and b[j] (zeros without bias).
export function layersOf(data, flat) {
  const byName = {};
  let at = 0;
  for (const [name, shape] of data.shapes) {
    const size = shape.reduce((a, b) => a * b, 1);
    byName[name] = { shape, values: flat.slice(at, at + size) };
    at += size;
  }
  const layers = [];
  for (let k = 1; k < data.layers.length; k++) {
    const [nIn, nOut] = [data.layers[k - 1], data.layers[k]];
    const W = byName[`W${k}`].values;
    const b = byName[`b${k}`] ? byName[`b${k}`].values : new Array(nOut).fill(0);
    const rows = [];
    for (let i = 0; i < nIn; i++) rows.push(W.slice(i * nOut, (i + 1) * nOut));
    layers.push({ W: rows, b, f: activation(data.activations[k - 1], data.leakySlope) });
  }
  return layers;
}

// Every layer's outputs for one input: [a1, a2, ..., y_pred].
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
// `layers` is layersOf(data, flat) (the view builds it once per epoch for every picture).
export function planePictures(data, layers, res) {
  const pictures = layers.map(({ b }) => b.map(() => new Float64Array(res * res)));
  const [x0, x1, y0, y1] = data.box;
  for (let r = 0; r < res; r++) {
    const v = y1 - ((r + 0.5) / res) * (y1 - y0);
    for (let c = 0; c < res; c++) {
      const u = x0 + ((c + 0.5) / res) * (x1 - x0);
      forward(layers, [u, v]).forEach((outs, k) => outs.forEach((o, j) => (pictures[k][j][r * res + c] = o)));
    }
  }
  return pictures;
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
  return Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(2);
}

// The status line at recorded epoch number i: "epoch K: loss L, accuracy A%" (per run).
export function statusAt(data, i) {
  const parts = data.runs.map((run) => {
    const text = `loss ${formatLoss(run.loss[i])}, accuracy ${pct(run.accuracy[i])}`;
    return data.runs.length > 1 ? `${run.label}: ${text}` : text;
  });
  return `epoch ${data.epochs[i]}: ${parts.join("; ")}`;
}

// A log scale when the values span more than two decades (and are all positive).
export function useLog(values) {
  const positive = values.filter((v) => v > 0);
  if (positive.length < values.length || !positive.length) return false;
  return Math.max(...positive) / Math.min(...positive) > 100;
}

// Map values to [0, 1] on a linear or log axis over [lo, hi].
export function scaler(values, log) {
  const vs = log ? values.filter((v) => v > 0).map(Math.log10) : values;
  let lo = Math.min(...vs);
  let hi = Math.max(...vs);
  if (hi === lo) [lo, hi] = [lo - 1, hi + 1];
  return (v) => ((log ? Math.log10(Math.max(v, 1e-300)) : v) - lo) / (hi - lo);
}

// An edge's look from its weight: width by |w| against the largest |w| of the epoch,
// blue for positive, red for negative.
export function edgeLook(w, largest) {
  const share = largest > 0 ? Math.abs(w) / largest : 0;
  return { width: 0.5 + 5.5 * share, colour: w >= 0 ? "#2b6cb0" : "#c53030", opacity: 0.25 + 0.75 * share };
}
