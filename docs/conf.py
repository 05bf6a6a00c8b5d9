"""Sphinx configuration for the sklearn-softmax documentation.

Build with ``sphinx-build -W --keep-going -b html docs docs/_build/html``.
"""

import os
import sys

# Document the package from this checkout even when it is not installed.
sys.path.insert(0, os.path.abspath(".."))

import sklearn_softmax  # noqa: E402

# -- Project information -----------------------------------------------------

project = "sklearn-softmax"
author = "The sklearn-softmax developers"
copyright = "The sklearn-softmax developers"
version = sklearn_softmax.__version__
release = sklearn_softmax.__version__

# -- General configuration ---------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

# Math renders without a network connection: sphinx-mathjax-offline (in the
# docs extra) copies MathJax 3 into the build's _static/mathjax/, and the
# pages load it from there instead of from a CDN.
mathjax_path = "mathjax/tex-chtml.js"

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "auto_examples/*.ipynb"]
root_doc = "index"
default_role = "literal"

# autosummary writes one page per object into docs/generated/ (git-ignored).
autosummary_generate = True
autosummary_imported_members = False

autodoc_typehints = "none"
autodoc_member_order = "bysource"

# numpydoc renders the Parameters/Attributes/... sections; the class pages
# list their methods themselves (see _templates/autosummary/class.rst).
numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# sphinx-gallery runs every examples/plot_*.py during the build (each page
# shows its output and figures; an example that raises fails the build) and
# writes the gallery into docs/auto_examples/ (git-ignored).
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "download_all_examples": False,
    "show_memory": False,
    "remove_config_comments": True,
}

# -- Options for HTML output -------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-softmax {release}"
html_static_path = ["_static"]
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}


# -- Hooks -----------------------------------------------------------------------


def _skip_metadata_request_methods(app, what, name, obj, skip, options):
    # scikit-learn generates ``set_<method>_request`` on every estimator for
    # metadata routing; their docstrings point into scikit-learn's own docs.
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_request_methods)
