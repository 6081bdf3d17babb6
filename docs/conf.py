"""Sphinx configuration for gradstep's documentation.

Built offline with warnings as errors (``make docs``): MyST Markdown pages, MyST-NB notebooks
executed at build time, the API reference generated from docstrings, formulas rendered to MathML
at build time (no MathJax, so no script from a CDN), and the Furo theme (no web fonts).
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this repository's autograd first (HIPS autograd has the name too)
sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "gradstep"
author = "the gradstep developers"
copyright = "2026, the gradstep developers"
release = "0.1.0"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "mathml",
]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "README.md", "**.ipynb_checkpoints", "jupyter_execute"]
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# Notebooks are executed at build time; a failing cell fails the build.
nb_execution_mode = "force"
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_merge_streams = True
nb_execution_in_temp = True
# A widget needs its JavaScript manager from a CDN: the static pages show the self-contained
# HTML fallback every gradstep widget carries instead.
nb_mime_priority_overrides = [
    ("html", "application/vnd.jupyter.widget-view+json", None),
    ("html", "text/html", 0),
]

autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autosummary_generate = False
napoleon_google_docstring = False

html_theme = "furo"
html_title = "gradstep"
html_static_path = ["_static"]
html_css_files = ["gradstep.css"]
html_copy_source = False
html_show_sourcelink = False

html_math_renderer = "mathml"
suppress_warnings: list[str] = []
nb_ipywidgets_js: dict = {}  # no widget manager from a CDN: the static fallbacks show instead
