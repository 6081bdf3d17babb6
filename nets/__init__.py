"""Networks built on the autograd engine."""
