"""Exports an executed notebook to HTML with the robustlab template (SVG plots kept drawn).

usage: export_html.py IN.ipynb OUT.html
"""
import base64
import os
import sys

import nbformat
from nbconvert import HTMLExporter

HERE = os.path.dirname(os.path.abspath(__file__))
MATHJAX = "https://cdn.jsdelivr.net/npm/mathjax@2.7.9/MathJax.js?config=TeX-AMS_CHTML-full,Safe"


def b64(text):
    return base64.b64encode(("".join(text) if isinstance(text, list) else text).encode("utf-8")).decode("ascii")


def main():
    inp, out = sys.argv[1], sys.argv[2]
    exporter = HTMLExporter(template_name="robustlab", extra_template_basedirs=[os.path.join(HERE, "nbconvert")])
    exporter.register_filter("b64", b64)
    # Debian's nbconvert points MathJax at file:///usr/share/javascript/mathjax, which no reader of the
    # exported file has; the public CDN copy works wherever the page is opened online.
    exporter.mathjax_url = MATHJAX
    body, _ = exporter.from_notebook_node(nbformat.read(inp, as_version=4))
    with open(out, "w", encoding="utf-8") as f:
        f.write(body)


if __name__ == "__main__":
    main()
