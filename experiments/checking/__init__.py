"""The checking room: ``gradstep check`` on learners' files.

``files`` finds the files, runs each in a sandboxed subprocess and turns the outcome into rows,
tables and files; ``worker`` is the script that runs inside that subprocess.
"""
