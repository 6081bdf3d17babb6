import numpy as np


def xor_points():
    rng = np.random.default_rng(4)
    x = rng.uniform(size=(40, 2))
    y = ((x[:, 0] > 0.5) ^ (x[:, 1] > 0.5)).astype(float).reshape(-1, 1)
    return x, y
