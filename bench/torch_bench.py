"""PyTorch CPU side of `npm run bench`: the same models, batch and threads as the TF.js side.

Reads one JSON object from argv[1]: {"model": "smallCnn"|"resnet18"|"mlp"|"matmul"|"knn", "batches": {op: int},
"threads": int,
"reps": int, "ops": [...], "params": {eps, step, apgdSteps, cwSteps, cwBinarySteps, cwLr, cwConst}} and prints
one JSON object of median milliseconds per op (one warm-up run first; the attacks warm up with a one-step run,
as the TF.js side does). The attacks are written in plain PyTorch, step for step as the library's:
PGD as torchattacks' PGD, APGD-CE as AutoAttack's (momentum 0.75, rho 0.75, step 2 eps halved at the
checkpoints), C&W l2 as lib/attacks/minNorm.ts (Adam in tanh space, one extra forward per step to track the
best iterate, binary search over c). The dense rows: "matmul" (op "product", [2000, 3072] x [3072, 10000]),
"mlp" (3072-1024-1024-10, op "trainStep") and "knn" (op "search": the nearest of 10,000 references for each of
2,000 queries by ||q||^2 + ||r||^2 - 2 q.r, as lib/models/nearestNeighbour.ts). The output names the BLAS
behind torch's sgemm_ and sets its threads to the bench's, as the aten side does.
"""
import ctypes
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class SmallCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 32, 3, padding=1)
        self.c2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc = nn.Linear(64 * 8 * 8, 10)

    def forward(self, x):
        # ReLU after the pool, as lib/models/smallCnn.ts (the same values, a quarter of the elements).
        x = F.relu(F.max_pool2d(self.c1(x), 2))
        x = F.relu(F.max_pool2d(self.c2(x), 2))
        return self.fc(x.flatten(1))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        h = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        return F.relu(h + (self.short(x) if self.short is not None else x))


class ResNet18(nn.Module):
    def __init__(self, width=64):
        super().__init__()
        self.stem = nn.Conv2d(3, width, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(width)
        layers, c = [], width
        for s in range(4):
            out = width * 2 ** s
            for b in range(2):
                layers.append(Block(c, out, 2 if (b == 0 and s > 0) else 1))
                c = out
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(c, 10)

    def forward(self, x):
        h = self.layers(F.relu(self.bn(self.stem(x))))
        return self.fc(h.mean((2, 3)))


PRODUCT = (2000, 3072, 10000)


class Mlp(nn.Module):
    def __init__(self, widths=(3072, 1024, 1024, 10)):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))

    def forward(self, x):
        x = x.flatten(1)
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = F.relu(x)
        return x


class DlInfo(ctypes.Structure):
    _fields_ = [("fname", ctypes.c_char_p), ("fbase", ctypes.c_void_p), ("sname", ctypes.c_char_p), ("saddr", ctypes.c_void_p)]


def blas(threads):
    """The library behind libtorch_cpu's sgemm_ (looked up through its handle, which searches it and then its
    dependencies in the order the linker bound them) and its threads, set to `threads` when it has a pool."""
    try:
        maps = open("/proc/self/maps").read().split("\n")
        cpu = next(line.split()[-1] for line in maps if line.endswith("libtorch_cpu.so") or "libtorch_cpu.so." in line)
        gemm = ctypes.cast(ctypes.CDLL(cpu).sgemm_, ctypes.c_void_p)
        info = DlInfo()
        ctypes.CDLL(None).dladdr(gemm, ctypes.byref(info))
        file = os.path.realpath(info.fname.decode())
        lib = ctypes.CDLL(file)
    except (StopIteration, AttributeError, OSError) as e:
        return {"name": "unknown", "file": "", "threads": 0, "why": str(e)}
    for name, setter, getter in (("OpenBLAS", "openblas_set_num_threads", "openblas_get_num_threads"),
                                 ("MKL", "mkl_set_num_threads", "mkl_get_max_threads")):
        if hasattr(lib, getter):
            getattr(lib, setter)(threads)
            out = {"name": name, "file": file, "threads": getattr(lib, getter)()}
            if hasattr(lib, "openblas_get_config"):
                lib.openblas_get_config.restype = ctypes.c_char_p
                lib.openblas_get_corename.restype = ctypes.c_char_p
                out["config"] = lib.openblas_get_config().decode()
                out["core"] = lib.openblas_get_corename().decode()
            return out
    return {"name": "reference" if "/blas/" in file else "unknown", "file": file, "threads": 1}


def median_ms(warm_up, f, reps):
    warm_up()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        ts.append((time.perf_counter() - t0) * 1000)
    ts.sort()
    return ts[len(ts) // 2]


def apgd_checkpoints(n):
    """Iterations at which APGD may halve its step (the integer form of lib/attacks/apgd.ts and AutoAttack)."""
    w = [0]
    k, decr, least = max(int(0.22 * n), 1), max(int(0.03 * n), 1), max(int(0.06 * n), 1)
    while w[-1] + k < n:
        w.append(w[-1] + k)
        k = max(k - decr, least)
    return w


def main():
    cfg = json.loads(sys.argv[1])
    prm = cfg.get("params", {})
    torch.set_num_threads(cfg["threads"])
    blas_info = blas(cfg["threads"])
    torch.manual_seed(0)
    if cfg["model"] in ("matmul", "knn"):
        m, k, n = PRODUCT
        a, b = torch.rand(m, k), torch.rand(k, n)
        if cfg["model"] == "matmul":
            f = lambda: torch.mm(a, b)
        else:
            ref, q = b.t().contiguous(), a

            def f():
                # Norms of the references once per search, as the library's chunked search does.
                d2 = (q * q).sum(1, keepdim=True) + (ref * ref).sum(1)[None, :] - 2 * q @ ref.t()
                return d2.clamp_min(0).min(1)

        op = "product" if cfg["model"] == "matmul" else "search"
        ms = median_ms(f, f, cfg["reps"])
        print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_info, "ms": {op: ms}}))
        return
    model = {"smallCnn": SmallCnn, "resnet18": ResNet18, "mlp": Mlp}[cfg["model"]]()
    model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=2e-4)
    eps, alpha = prm.get("eps", 8 / 255), prm.get("step", 2 / 255)

    def data(n):
        x = torch.rand(n, 3, 32, 32).contiguous(memory_format=torch.channels_last)
        return x, torch.randint(0, 10, (n,))

    def forward(x, y):
        model.eval()
        with torch.no_grad():
            model(x)

    def train_step(x, y):
        model.train()
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    def pgd(x, y, steps):
        model.eval()
        xa = (x + torch.empty_like(x).uniform_(-eps, eps)).clamp(0, 1)
        for _ in range(steps):
            xa.requires_grad_(True)
            loss = F.cross_entropy(model(xa), y)
            (g,) = torch.autograd.grad(loss, xa)
            xa = torch.min(torch.max(xa.detach() + alpha * g.sign(), x - eps), x + eps).clamp(0, 1)
        return xa

    def loss_grad(xa, y):
        xa = xa.clone().requires_grad_(True)
        logits = model(xa)
        loss = F.cross_entropy(logits, y, reduction="none")
        (g,) = torch.autograd.grad(loss.sum(), xa)
        return loss.detach(), g, logits.detach()

    def apgd_ce(x, y, steps, rho=0.75, momentum=0.75):
        model.eval()
        n = x.shape[0]

        def proj(v):
            return torch.min(torch.max(v, x - eps), x + eps).clamp(0, 1)

        xa = proj(x + torch.empty_like(x).uniform_(-eps, eps))
        loss, grad, logits = loss_grad(xa, y)
        fooled = logits.argmax(1) != y
        x_adv, x_prev, x_best, g_best = xa.clone(), xa.clone(), xa.clone(), grad.clone()
        loss_cur, loss_best = loss.clone(), loss.clone()
        loss_best_last = loss_best.clone()
        reduced_last = torch.ones(n, dtype=torch.bool)
        increases = torch.zeros(n)
        step = torch.full((n, 1, 1, 1), 2 * eps)
        checks = set(apgd_checkpoints(steps)[1:])
        since = 0
        for i in range(steps):
            a = 1.0 if i == 0 else momentum
            z = proj(xa + step * grad.sign())
            x_new = proj(xa + a * (z - xa) + (1 - a) * (xa - x_prev))
            x_prev, xa = xa, x_new
            loss, grad, logits = loss_grad(xa, y)
            newly = (logits.argmax(1) != y) & ~fooled
            x_adv[newly] = xa[newly]
            fooled |= newly
            increases += (loss > loss_cur).float()
            loss_cur = loss
            better = loss > loss_best
            x_best[better] = xa[better]
            g_best[better] = grad[better]
            loss_best = torch.where(better, loss, loss_best)
            since += 1
            if (i + 1) in checks and i + 1 < steps:
                reduce = (increases < rho * since) | (~reduced_last & (loss_best_last >= loss_best))
                xa = xa.clone()
                xa[reduce] = x_best[reduce]
                grad[reduce] = g_best[reduce]
                step[reduce] /= 2
                reduced_last = reduce
                loss_best_last = loss_best.clone()
                increases.zero_()
                since = 0
        return torch.where(fooled.view(-1, 1, 1, 1), x_adv, x_best)

    def margin(logits, y):
        zy = logits.gather(1, y[:, None]).squeeze(1)
        other = logits.scatter(1, y[:, None], float("-inf")).max(1).values
        return zy - other

    def cw_l2(x, y, steps, binary_steps):
        model.eval()
        n = x.shape[0]
        w0 = torch.atanh((x * 2 - 1) * 0.999999)
        c = torch.full((n,), prm.get("cwConst", 1e-3))
        lower, upper = torch.zeros(n), torch.full((n,), float("inf"))
        best, best_l2 = x.clone(), torch.full((n,), float("inf"))
        for _ in range(binary_steps):
            delta = torch.zeros_like(x, requires_grad=True)
            adam = torch.optim.Adam([delta], lr=prm.get("cwLr", 0.01))
            found = torch.zeros(n, dtype=torch.bool)
            for _ in range(steps):
                xa = (torch.tanh(w0 + delta) + 1) / 2
                loss = (xa - x).square().flatten(1).sum(1) + c * margin(model(xa), y).clamp(min=0)
                adam.zero_grad()
                loss.sum().backward()
                adam.step()
                with torch.no_grad():
                    xa = (torch.tanh(w0 + delta) + 1) / 2
                    m, l2 = margin(model(xa), y), (xa - x).flatten(1).norm(dim=1)
                    found |= m < 0
                    take = (m < 0) & (l2 < best_l2)
                    best[take] = xa[take]
                    best_l2 = torch.where(take, l2, best_l2)
            upper = torch.where(found, torch.min(upper, c), upper)
            lower = torch.where(found, lower, torch.max(lower, c))
            c = torch.where(found | torch.isfinite(upper), (lower + upper) / 2, c * 10)
        return best

    out = {}
    for op in cfg["ops"]:
        x, y = data(cfg["batches"][op])
        if op == "apgdCe":
            # APGD attacks only correctly classified points: label each example with the model's prediction.
            with torch.no_grad():
                model.eval()
                y = model(x).argmax(1)
        if op == "forward":
            out[op] = median_ms(lambda: forward(x, y), lambda: forward(x, y), cfg["reps"])
        elif op == "trainStep":
            out[op] = median_ms(lambda: train_step(x, y), lambda: train_step(x, y), cfg["reps"])
        elif op == "pgd10":
            out[op] = median_ms(lambda: pgd(x, y, 1), lambda: pgd(x, y, 10), cfg["reps"])
        elif op == "pgd20":
            out[op] = median_ms(lambda: pgd(x, y, 1), lambda: pgd(x, y, 20), cfg["reps"])
        elif op == "apgdCe":
            out[op] = median_ms(lambda: apgd_ce(x, y, 1), lambda: apgd_ce(x, y, prm["apgdSteps"]), cfg["reps"])
        elif op == "cwL2":
            out[op] = median_ms(lambda: cw_l2(x, y, 1, 1), lambda: cw_l2(x, y, prm["cwSteps"], prm["cwBinarySteps"]), cfg["reps"])
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_info, "ms": out}))


if __name__ == "__main__":
    main()
