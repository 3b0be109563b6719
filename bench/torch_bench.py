"""PyTorch CPU side of `npm run bench`: the same models, batch and threads as the TF.js side.

Reads one JSON object from argv[1]: {"model": "smallCnn"|"resnet18", "batches": {op: int}, "threads": int,
"reps": int, "ops": [...]} and prints one JSON object of median milliseconds per op (one warm-up run first;
PGD-10 warms up with one step, as the TF.js side does).
"""
import json
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
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
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


def median_ms(warm_up, f, reps):
    warm_up()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        ts.append((time.perf_counter() - t0) * 1000)
    ts.sort()
    return ts[len(ts) // 2]


def main():
    cfg = json.loads(sys.argv[1])
    torch.set_num_threads(cfg["threads"])
    torch.manual_seed(0)
    model = SmallCnn() if cfg["model"] == "smallCnn" else ResNet18()
    model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=2e-4)
    eps, alpha = 8 / 255, 2 / 255

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

    out = {}
    for op in cfg["ops"]:
        x, y = data(cfg["batches"][op])
        if op == "forward":
            out[op] = median_ms(lambda: forward(x, y), lambda: forward(x, y), cfg["reps"])
        elif op == "trainStep":
            out[op] = median_ms(lambda: train_step(x, y), lambda: train_step(x, y), cfg["reps"])
        elif op == "pgd10":
            out[op] = median_ms(lambda: pgd(x, y, 1), lambda: pgd(x, y, 10), cfg["reps"])
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "ms": out}))


if __name__ == "__main__":
    main()
