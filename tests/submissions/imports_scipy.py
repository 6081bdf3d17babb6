"""Imports a module that is not installed here."""

import numpy as np
import scipy_is_not_here.special as sp

w = np.zeros(2)
