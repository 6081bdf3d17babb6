"""The checking room: ``gradstep check`` on learners' files.

``files`` finds the files, runs each in a contained subprocess (``sandbox``: nothing it starts
outlives the check; ``keeper`` is that subprocess's first process) and turns the outcome into rows,
tables and files; ``worker`` is the script that runs the learner's file inside it.
"""
