"""Executes one notebook headless through a Jupyter kernel with nbclient, printing progress per cell.

usage: execute.py IN OUT --kernel NAME [--timeout S] [--cwd DIR] [--status-file FILE]

Every failure ends in one line `FAILED in cell I/N of NAME (first source line): reason` (details may follow)
and exit status 1: an error in a cell, a kernel that died, a cell over the timeout, an unhandled promise
rejection or uncaught exception reported by the kernel after or during a cell, or a notebook that cannot be
read. SIGTERM/SIGINT kill the kernel's process group (the kernel runs in its own session) and exit 128+signal.
The partially executed notebook is written to OUT whenever execution started. --status-file receives a JSON
record {ok, cell, cells, reason, signal} that the runner puts in its report.
"""
import argparse
import json
import os
import re
import signal
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

# Installed in the kernel before the first cell: tslab only prints these on a stream of whichever cell ran
# last (often after its reply, so nbclient never sees them). Recording them in a file lets us fail the cell.
# tslab points process.stdout.write at the new cell's stream when a cell starts, so counting those assignments
# tells which execution (1 = the first cell run after this guard) raised the rejection.
GUARD = """{
  const fs = require('fs');
  const file = %s;
  let started = 0;
  let write = process.stdout.write;
  Object.defineProperty(process.stdout, 'write', { configurable: true, get: () => write, set: (w: any) => { started++; write = w; } });
  const note = (kind: string, e: any) => {
    try { fs.appendFileSync(file, started + '\\t' + kind + ': ' + String((e && e.stack) || e).split('\\n')[0] + '\\n'); } catch {}
  };
  process.on('unhandledRejection', (e: any) => note('unhandled promise rejection', e));
  process.on('uncaughtException', (e: any) => note('uncaught exception', e));
}"""
# Run after the last cell, so that a rejection that fires just after it is still seen.
SETTLE = "await new Promise((r) => setTimeout(r, 100));"


class CellProblem(Exception):
    """A failure the kernel reported outside the cell's own error reply, with the execution that raised it."""

    def __init__(self, text, execution):
        super().__init__(text)
        self.execution = execution


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


def first_line(cell):
    return (cell.source.strip().splitlines() or [""])[0][:70] if cell is not None else ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("inp")
    ap.add_argument("out")
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--timeout", type=int, default=3600, help="seconds per cell (default 3600)")
    ap.add_argument("--cwd", default=None)
    ap.add_argument("--status-file", default=None)
    a = ap.parse_args()
    name = os.path.basename(a.inp)
    status = {"ok": False, "cell": None, "cells": None, "reason": None, "signal": None}

    def finish(code, reason=None, cell_no=None, details=""):
        status.update(ok=code == 0, reason=reason, cell=cell_no)
        if reason is not None:
            where = f"in cell {cell_no}/{status['cells']} of {name}" if cell_no else f"{name}"
            print(f"FAILED {where}: {reason}" if not cell_no else f"FAILED {where} ({first_line(code_cells[cell_no - 1])}): {reason}", flush=True)
            if details:
                print(details, flush=True)
        if a.status_file:
            tmp = a.status_file + ".tmp"
            with open(tmp, "w") as f:
                json.dump(status, f)
            os.replace(tmp, a.status_file)
        sys.exit(code)

    code_cells = []
    if a.timeout < 1:
        finish(2, f"--timeout must be an integer >= 1, got {a.timeout}")
    try:
        nb = nbformat.read(a.inp, as_version=4)
    except Exception as e:  # noqa: BLE001 -- any unreadable notebook is one line, not a traceback
        finish(1, f"cannot read the notebook ({type(e).__name__}: {e})")
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    status["cells"] = len(code_cells)
    position = {id(c): i + 1 for i, c in enumerate(code_cells)}
    t0 = time.time()
    state = {"t": time.time(), "cell": 0, "done": 0}
    guard_file = tempfile.NamedTemporaryFile(prefix="robustlab-guard-", suffix=".log", delete=False).name
    settle = nbformat.v4.new_code_cell(SETTLE)
    nb.cells.append(settle)

    def reported():
        try:
            with open(guard_file) as f:
                return f.read().strip()
        except OSError:
            return ""

    def check_guard():
        text = reported()
        if text:
            count, _, what = text.splitlines()[0].partition("\t")
            raise CellProblem(what, int(count) if count.isdigit() else 0)

    def kill_kernel(signum):
        status["signal"] = signal.Signals(signum).name
        prov = getattr(client.km, "provisioner", None) if client.km else None
        pgid = getattr(prov, "pgid", None)
        pid = getattr(prov, "pid", None)
        for target, fn in ((pgid, os.killpg), (pid, os.kill)):
            if target:
                try:
                    fn(target, signal.SIGKILL)
                    break
                except OSError:
                    pass

    async def on_notebook_start(notebook):
        import asyncio

        # nbclient's own handlers only schedule a polite shutdown; a busy kernel would keep running.
        loop = asyncio.get_event_loop()
        for s in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(s, kill_kernel, s)
        msg_id = client.kc.execute(GUARD % json.dumps(guard_file), silent=True, store_history=False)
        await client.async_wait_for_reply(msg_id)

    def on_start(cell, cell_index):
        # A rejection seen before this cell starts came from an earlier one (the last that ran, usually).
        check_guard()
        state["t"] = time.time()
        state["cell"] = position.get(id(cell), 0)

    def on_done(cell, cell_index, execute_reply):
        if cell is settle:
            check_guard()
            return
        state["done"] = position[id(cell)]
        if client.shown:
            print(flush=True)
            client.shown = False
        print(f"  cell {state['done']}/{len(code_cells)} {time.time() - state['t']:6.1f}s  {first_line(cell)}", flush=True)
        check_guard()

    client = EchoingClient(
        nb, timeout=a.timeout, kernel_name=a.kernel, resources={"metadata": {"path": a.cwd}} if a.cwd else {},
        on_notebook_start=on_notebook_start, on_cell_start=on_start, on_cell_executed=on_done,
    )

    def save():
        if nb.cells and nb.cells[-1] is settle:
            nb.cells.pop()
        nbformat.write(nb, a.out)
        try:
            os.unlink(guard_file)
        except OSError:
            pass

    try:
        client.execute()
    except CellExecutionError as e:
        save()
        cell = code_cells[state["cell"] - 1] if state["cell"] else None
        # tslab reports a thrown error on stderr with an empty error reply, so the stream is the message.
        err = "".join(o.get("text", "") for o in (cell.outputs if cell else []) if o.get("output_type") == "stream" and o.get("name") == "stderr")
        err = "\n".join(l for l in err.splitlines() if "node_modules/tslab" not in l and "node:vm" not in l)
        lines = [l.strip() for l in err.splitlines() if l.strip()]
        # The error's own line ("TypeError: ..."), not the source position or the echoed code around it.
        line = next((l for l in lines if re.match(r"^\w*(Error|Exception)\b", l)), None) or (lines or str(e).strip().splitlines() or ["error"])[-1]
        finish(1, line, state["cell"] or None, f"{e}\n{err}")
    except CellProblem as e:
        save()
        # nbclient skips empty code cells, so the k-th execution is the k-th non-empty one.
        ran = [position[id(c)] for c in code_cells if c.source.strip()]
        cell_no = ran[e.execution - 1] if 1 <= e.execution <= len(ran) else (state["done"] or state["cell"] or None)
        finish(1, str(e), cell_no)
    except CellTimeoutError:
        save()
        finish(1, f"did not finish within {a.timeout} s (--timeout); the kernel was stopped", state["cell"] or None)
    except (DeadKernelError, RuntimeError) as e:
        save()
        if status["signal"]:
            finish(128 + getattr(signal, status["signal"]), f"interrupted by {status['signal']}; the kernel's process group was killed", state["cell"] or None)
        if not isinstance(e, DeadKernelError):
            raise
        finish(1, "the kernel died during this cell (process.exit, a crash or a kill)", state["cell"] or None)
    if status["signal"]:
        save()
        finish(128 + getattr(signal, status["signal"]), f"interrupted by {status['signal']}; the kernel's process group was killed", state["cell"] or None)
    save()
    print(f"  done in {time.time() - t0:.1f}s", flush=True)
    finish(0)


if __name__ == "__main__":
    main()
