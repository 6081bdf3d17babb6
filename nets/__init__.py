"""Networks built on the autograd engine: the lab's MLP three ways, cross-checked.

>>> from nets import NumpyMLP, crosscheck
>>> import numpy as np
>>> X, y = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([[1.0], [0.0]])
>>> bool(crosscheck(X, y, layer_sizes=(2, 4, 4, 1)))
True
"""

from .activations import ACTIVATIONS, Activation, get_activation
from .cnn import CNN
from .crosscheck import CrosscheckReport, crosscheck
from .init import INITS, init_parameters
from .layers import (
    ActivationLayer,
    AvgPool2d,
    Conv2d,
    Flatten,
    Layer,
    Linear,
    MaxPool2d,
    Sequential,
)
from .losses import LOSSES, REDUCTIONS
from .mlp import ENGINES, MLP, NumpyMLP, TensorMLP, ValueMLP, make_mlp
from .module import Gradients, Module
from .optim import OPTIMIZERS, SGD, Adagrad, Adam, Optimizer, RMSprop, make_optimizer
from .population import Population, PopulationGradients, estimate_bytes
from .pytorch import TorchMissingError, from_torch, to_torch, torch_code
from .saved import load_network

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "Adagrad",
    "Adam",
    "CNN",
    "ActivationLayer",
    "AvgPool2d",
    "Conv2d",
    "Flatten",
    "Layer",
    "Linear",
    "MaxPool2d",
    "Sequential",
    "CrosscheckReport",
    "ENGINES",
    "Gradients",
    "INITS",
    "LOSSES",
    "MLP",
    "Module",
    "NumpyMLP",
    "OPTIMIZERS",
    "Optimizer",
    "REDUCTIONS",
    "RMSprop",
    "SGD",
    "TensorMLP",
    "ValueMLP",
    "crosscheck",
    "Population",
    "PopulationGradients",
    "estimate_bytes",
    "from_torch",
    "load_network",
    "to_torch",
    "torch_code",
    "TorchMissingError",
    "get_activation",
    "init_parameters",
    "make_mlp",
    "make_optimizer",
]
