"""Pure Python: weights as lists of lists of floats, one sample at a time (SGD), each list replaced whole, sigmoid
everywhere, one sample's 0.5*SSE, lr 0.5."""

import math
import random

random.seed(26)
data = [([random.random(), random.random()], 0.0) for _ in range(10)]
data = [(p, 1.0 if p[0] > p[1] else 0.0) for p, _ in data]
w1 = [[random.gauss(0, 1) for _ in range(3)] for _ in range(2)]
w2 = [random.gauss(0, 1) for _ in range(3)]


def sig(a):
    return 1 / (1 + math.exp(-a))


for epoch in range(100):
    for xs, target in data:
        h = [sig(sum(xs[i] * w1[i][j] for i in range(2))) for j in range(3)]
        out = sig(sum(h[j] * w2[j] for j in range(3)))
        d_out = (out - target) * out * (1 - out)
        d_h = [d_out * w2[j] * h[j] * (1 - h[j]) for j in range(3)]
        w2 = [w2[j] - 0.5 * d_out * h[j] for j in range(3)]
        w1 = [[w1[i][j] - 0.5 * d_h[j] * xs[i] for j in range(3)] for i in range(2)]
