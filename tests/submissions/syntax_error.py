import numpy as np

w = np.zeros((2, 2)
print(w)
