"""The back-propagation lab reproduced on gradstep: data sets, training, plots, the command line."""
