"""Executes one notebook headless through a Jupyter kernel with nbclient, printing progress per cell.

usage: execute.py IN OUT --kernel NAME [--timeout S] [--cwd DIR]
On a failing cell: writes the partially executed notebook, prints the cell and the error, exits 1.
"""
import argparse
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


class EchoingClient(NotebookClient):
    """Echoes robustlab progress bars (display bundles tagged in their metadata) on the terminal, so a long
    cell shows its progress here too: in place on a terminal, every 10 s into a log."""

    last = 0.0
    shown = False

    def process_message(self, msg, cell, cell_index):
        content = msg.get("content", {})
        if msg.get("msg_type") in ("display_data", "update_display_data") and content.get("metadata", {}).get("robustlab", {}).get("progress"):
            now = time.time()
            tty = sys.stdout.isatty()
            if now - self.last >= (0.5 if tty else 10.0):
                self.last = now
                text = "".join(content.get("data", {}).get("text/plain", ""))
                sys.stdout.write(("\r    " if tty else "    ") + text + ("" if tty else "\n"))
                sys.stdout.flush()
                self.shown = tty
        return super().process_message(msg, cell, cell_index)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("inp")
    ap.add_argument("out")
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--timeout", type=int, default=3600)
    ap.add_argument("--cwd", default=None)
    a = ap.parse_args()
    nb = nbformat.read(a.inp, as_version=4)
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    t0 = time.time()
    state = {"i": 0, "t": time.time(), "cell": None}

    def on_start(cell, cell_index):
        state["t"] = time.time()
        state["cell"] = cell

    def on_done(cell, cell_index, execute_reply):
        state["i"] += 1
        if client.shown:
            print(flush=True)
            client.shown = False
        first = (cell.source.strip().splitlines() or [""])[0][:70]
        print(f"  cell {state['i']}/{len(code_cells)} {time.time() - state['t']:6.1f}s  {first}", flush=True)

    client = EchoingClient(
        nb, timeout=a.timeout, kernel_name=a.kernel, resources={"metadata": {"path": a.cwd}} if a.cwd else {},
        on_cell_start=on_start, on_cell_executed=on_done,
    )
    try:
        client.execute()
    except CellExecutionError as e:
        nbformat.write(nb, a.out)
        cell = state["cell"]
        # tslab reports a thrown error on stderr with an empty error reply, so the stream is the message.
        err = "".join(o.get("text", "") for o in (cell.outputs if cell else []) if o.get("output_type") == "stream" and o.get("name") == "stderr")
        err = "\n".join(l for l in err.splitlines() if "node_modules/tslab" not in l and "node:vm" not in l)
        print(f"FAILED in cell {state['i']}/{len(code_cells)}:\n{e}\n{err}", flush=True)
        sys.exit(1)
    nbformat.write(nb, a.out)
    print(f"  done in {time.time() - t0:.1f}s", flush=True)


if __name__ == "__main__":
    main()
