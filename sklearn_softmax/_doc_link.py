"""Where the documentation lives, for the link in the estimators' HTML display.

scikit-learn's HTML representation of an estimator (what a notebook shows)
links to the estimator's API page when the class names its root module and a
URL template (``_doc_link_module``, ``_doc_link_template``). The API pages are
the ones autosummary writes for ``docs/api.rst``:
``generated/sklearn_softmax.<Name>.html`` under the documentation's root.
"""

#: The documentation site's root, the one place that names it: the address
#: the site will have on Read the Docs under the distribution's name. No site
#: is published there yet; change it here when it is (pyproject's
#: ``[project.urls]`` waits for the same decision).
DOCUMENTATION_URL = "https://sklearn-softmax.readthedocs.io/en/stable/"

#: The API page of an estimator, filled in by scikit-learn with the public
#: module (``sklearn_softmax``) and the class name.
DOC_LINK_TEMPLATE = (
    DOCUMENTATION_URL + "generated/{estimator_module}.{estimator_name}.html"
)
