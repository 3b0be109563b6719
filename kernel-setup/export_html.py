"""Exports an executed notebook to HTML with the robustlab template (SVG plots kept drawn).

usage: export_html.py IN.ipynb OUT.html
"""
import base64
import os
import sys

import nbformat
from nbconvert import HTMLExporter

HERE = os.path.dirname(os.path.abspath(__file__))


def b64(text):
    return base64.b64encode(("".join(text) if isinstance(text, list) else text).encode("utf-8")).decode("ascii")


def main():
    inp, out = sys.argv[1], sys.argv[2]
    exporter = HTMLExporter(template_name="robustlab", extra_template_basedirs=[os.path.join(HERE, "nbconvert")])
    exporter.register_filter("b64", b64)
    body, _ = exporter.from_notebook_node(nbformat.read(inp, as_version=4))
    with open(out, "w", encoding="utf-8") as f:
        f.write(body)


if __name__ == "__main__":
    main()
