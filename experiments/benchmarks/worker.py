"""One benchmark contender in a process of its own: ``python -m experiments.benchmarks.worker NAME
LOOPS STEPS`` reads the 2-4-4-1 net's weights and a batch as JSON on standard input, trains for
LOOPS x STEPS full-batch steps and prints one JSON line: the mean seconds per step.

A fresh process per contender, importing only what that contender needs, because process state
changes the figure: micrograd's closures make cyclic garbage, and how long a full collection
takes depends on everything else on the heap (PyTorch imported in the same process slows
micrograd's steps). A mean over whole loops, not a median of single steps, because those
collections are periodic costs a training loop pays.

Contenders: ``micrograd`` and ``micrograd-gc-off`` (its engine, the loss composed per sample with
Python ``sum`` and ``**``); ``gradstep`` (``ValueMLP.loss_and_grads`` and an SGD step) and
``gradstep-idiomatic`` (per-sample ``net(x)``, the loss composed the same way as micrograd's,
``backward``, an SGD step). Nothing here imports gradstep's packages for the micrograd rows."""

from __future__ import annotations

import gc
import json
import math
import sys
import time

import numpy as np

LAYERS = (2, 4, 4, 1)
LR = 0.05
CONTENDERS = ("micrograd", "micrograd-gc-off", "gradstep", "gradstep-idiomatic")


def micrograd_net(state: dict):
    """A 2-4-4-1 sigmoid MLP on micrograd's public Value class (it has no sigmoid: one is made
    here the way its own ops are made: output Value, then its _backward). Returns loss(X, y),
    step(X, y), grads()."""
    from micrograd.engine import Value as MValue

    def sigmoid(v):
        s = 1.0 / (1.0 + math.exp(-v.data))
        out = MValue(s, (v,), "sigmoid")

        def _backward():
            v.grad += s * (1.0 - s) * out.grad

        out._backward = _backward
        return out

    depth = sum(1 for k in state if k[0] == "W")
    W = [[[MValue(float(v)) for v in row] for row in state[f"W{k}"]] for k in range(1, depth + 1)]
    b = [[MValue(float(v)) for v in state[f"b{k}"]] for k in range(1, depth + 1)]
    params = [p for k in range(depth) for row in W[k] for p in row] + [p for bk in b for p in bk]

    def forward(x):
        h = [MValue(float(v)) for v in x]
        for k in range(depth):
            h = [
                sigmoid(sum((W[k][i][j] * h[i] for i in range(len(h))), b[k][j]))
                for j in range(len(b[k]))
            ]
        return h[0]

    def loss(X, y):
        total = sum(((forward(x) - float(t[0])) ** 2 for x, t in zip(X, y)), MValue(0.0))
        return total * (1.0 / len(X))

    def step(X, y):
        out = loss(X, y)
        for p in params:
            p.grad = 0.0
        out.backward()
        for p in params:
            p.data -= LR * p.grad
        return out

    def grads():
        return {
            f"W{k + 1}": np.array([[w.grad for w in row] for row in W[k]]) for k in range(depth)
        } | {f"b{k + 1}": np.array([v.grad for v in b[k]]) for k in range(depth)}

    return loss, step, grads


def gradstep_idiomatic(state: dict):
    """What a user writes with gradstep's Value engine, micrograd-style: per-sample ``net(x)``,
    the loss composed with Python ``sum`` and ``**``, ``backward``, an SGD step."""
    from nets import SGD, ValueMLP

    net = ValueMLP(LAYERS, seed=0)
    net.load_state_dict(state)
    opt = SGD(net, lr=LR)

    def loss(X, y):
        return sum(((net(list(x)) - float(t[0])) ** 2 for x, t in zip(X, y)), 0.0) * (1.0 / len(X))

    def step(X, y):
        out = loss(X, y)
        net.zero_grad()
        out.backward()
        opt.step(net.named_grads())
        return out

    return net, loss, step


def gradstep_loss_and_grads(state: dict):
    from nets import SGD, ValueMLP

    net = ValueMLP(LAYERS, seed=0)
    net.load_state_dict(state)
    opt = SGD(net, lr=LR)

    def step(X, y):
        _, grads = net.loss_and_grads(X, y, loss="mse", reduction="mean")
        opt.step(grads)

    return step


def make_step(name: str, state: dict):
    if name.startswith("micrograd"):
        return micrograd_net(state)[1]
    if name == "gradstep":
        return gradstep_loss_and_grads(state)
    if name == "gradstep-idiomatic":
        return gradstep_idiomatic(state)[2]
    raise SystemExit(f"unknown contender {name!r}; choose one of {', '.join(CONTENDERS)}")


def measure(name: str, state: dict, X, y, loops: int, steps: int) -> float:
    """Mean seconds per step over ``loops`` loops of ``steps`` steps (after two warm-up steps)."""
    step = make_step(name, state)
    if name == "micrograd-gc-off":
        gc.disable()
    for _ in range(2):
        step(X, y)
    start = time.perf_counter()
    for _ in range(loops):
        for _ in range(steps):
            step(X, y)
    return (time.perf_counter() - start) / (loops * steps)


def main(argv: list[str]) -> None:
    """Weights and data come on standard input as JSON from the parent (``gradstep bench``), so
    every contender trains the very numbers the parent checked them on."""
    name, loops, steps = argv[0], int(argv[1]), int(argv[2])
    given = json.load(sys.stdin)
    state = {k: np.array(v) for k, v in given["state"].items()}
    X, y = np.array(given["X"]), np.array(given["y"])
    seconds = measure(name, state, X, y, loops, steps)
    print(json.dumps({"contender": name, "seconds_per_step": seconds, "modules": len(sys.modules)}))


if __name__ == "__main__":
    main(sys.argv[1:])
