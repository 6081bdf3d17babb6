// gradstep stepper, the model: pure functions of the recorded trace (no DOM).
//
// The trace is what Python's autograd.views.stepper.Trace.to_json() gives:
//   steps  [{text, table, current}]  step 0 (before back-propagation) to the last step
//   forward                          how many of the steps walk the forward pass
//   nodes  [{id, role, box, op, forward, backward, final, grads, datas}]
//            box / op: element ids of its own box and op ellipse (null when collapsed)
//            forward / backward: the step that computes it / pushes its gradient on (ops)
//            final: the step after which a leaf's gradient is complete
//            grads / datas: [[step, text], ...] what it shows from that step on
//   texts  [{element, line, node, parts}]  a box's line: parts are strings, {value: "grad"} or
//            {value: "data"} (the node's number at the step)
//   scopes [{element, scope, members}]     collapsed scopes and the node ids inside
//   edges  [{element, node, term}]         the chain-rule term an edge carries once its node's
//            step is taken
// Everything here is a function of (trace, k): the view asks, the tests ask the same.

export const NOT_YET = "not back-propagated yet";

// The recorded text in effect at step k: the last change at or before k.
export function valueAt(changes, k) {
  let value = changes.length ? changes[0][1] : "";
  for (const [step, text] of changes) {
    if (step > k) break;
    value = text;
  }
  return value;
}

// "pending", "current" or "done" for a node's own box and its op.
export function nodeState(trace, node, k) {
  if (k === 0) return "pending";
  const inForward = k <= trace.forward;
  if (node.backward !== null) {
    const at = inForward ? node.forward : node.backward;
    if (at === null) return "pending";
    return at < k ? "done" : at === k ? "current" : "pending";
  }
  if (inForward) return "done"; // a leaf's value is known from the start
  return node.final !== null && k >= node.final ? "done" : "pending";
}

// A collapsed scope is current while one of its ops is, done when all are.
export function scopeState(trace, scope, byId, k) {
  const states = scope.members
    .map((id) => byId.get(id))
    .filter((node) => node && node.backward !== null)
    .map((node) => nodeState(trace, node, k));
  if (states.includes("current")) return "current";
  return states.length && states.every((s) => s === "done") ? "done" : "pending";
}

export function lineAt(text, node, k) {
  return text.parts
    .map((part) => {
      if (typeof part === "string") return part;
      return valueAt(part.value === "grad" ? node.grads : node.datas, k);
    })
    .join("");
}

export function nodesById(trace) {
  return new Map(trace.nodes.map((node) => [node.id, node]));
}

// Everything the view shows at step k, keyed by element id.
export function frame(trace, k, byId = nodesById(trace)) {
  const step = trace.steps[k];
  const states = {};
  for (const node of trace.nodes) {
    const s = nodeState(trace, node, k);
    if (node.box) states[node.box] = s;
    if (node.op) states[node.op] = s;
  }
  for (const scope of trace.scopes) states[scope.element] = scopeState(trace, scope, byId, k);
  const lines = trace.texts.map((t) => [t.element, t.line, lineAt(t, byId.get(t.node), k)]);
  const terms = {};
  const active = [];
  for (const edge of trace.edges) {
    const node = byId.get(edge.node);
    terms[edge.element] = node.backward !== null && node.backward <= k ? edge.term : NOT_YET;
    if (edge.node === step.current) active.push(edge.element);
  }
  return {
    k,
    last: trace.steps.length - 1,
    status: step.text,
    table: step.table,
    current: step.current,
    states,
    lines,
    terms,
    active,
  };
}
