"""The lab room: the back-propagation lab reproduced (``gradstep lab1``).

``lab1`` runs every experiment and writes the outputs; ``report`` writes the report and its
figures; ``labcode`` is the seed report's own numpy code, kept as the reference it was;
``curvature`` measures the Hessian behind the learning-rate discussion; ``extra_c`` and ``images``
are the convolutional extra.
"""
