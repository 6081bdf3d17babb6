import pathlib
import sys

# Make ``catalog`` importable from every test module.
sys.path.insert(0, str(pathlib.Path(__file__).parent))
