"""PyTorch reference for test/training/fastFreeBatchNorm.test.ts: two steps of FastAT (locuslab/fast_adversarial
train_fgsm.py) and two replays of FreeAT (mahyarnajibi/FreeAdversarialTraining) on a tiny batch-norm model,
written as the references write their loops. Prints the perturbations, parameters and running statistics
after each step as JSON; the test pins these numbers. Run: /usr/bin/python3 fastFreeBatchNorm.py
"""
import json
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

X = torch.tensor([[0.2, 0.7], [0.6, 0.3], [0.8, 0.75], [0.35, 0.4]])
Y = torch.tensor([0, 1, 1, 0])
W1 = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.9, 0.2]])  # [in, out] as the library stores it
B1 = torch.tensor([0.1, -0.2, 0.05])
GAMMA = torch.tensor([1.2, 0.8, 1.0])
BETA = torch.tensor([0.1, -0.1, 0.0])
W2 = torch.tensor([[0.7, -0.4], [-0.5, 0.6], [0.3, 0.9]])
B2 = torch.tensor([0.0, 0.1])
EPS = 0.1
# The library's uniform starts for the FastAT steps (seeds 11, 12), pinned in the test as well.
STARTS = [
    [-0.09108756482601166, 0.06269358843564987, -0.056912556290626526, 0.08237454295158386, 0.011782006360590458, -0.09462755918502808, -0.004516014363616705, 0.0528707318007946],
    [-0.012257754802703857, -0.010205334052443504, 0.07087152451276779, -0.03556434065103531, 0.0658390149474144, 0.07614104449748993, -0.006905832327902317, 0.015952151268720627],
]


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 3)
        self.bn = nn.BatchNorm1d(3)
        self.head = nn.Linear(3, 2)
        with torch.no_grad():
            self.fc1.weight.copy_(W1.t())
            self.fc1.bias.copy_(B1)
            self.bn.weight.copy_(GAMMA)
            self.bn.bias.copy_(BETA)
            self.head.weight.copy_(W2.t())
            self.head.bias.copy_(B2)

    def forward(self, x):
        return self.head(F.relu(self.bn(self.fc1(x))))


def state(model):
    return {
        'fc1.w': model.fc1.weight.t().flatten().tolist(),
        'fc1.b': model.fc1.bias.tolist(),
        'bn.gamma': model.bn.weight.tolist(),
        'bn.beta': model.bn.bias.tolist(),
        'bn.runningMean': model.bn.running_mean.tolist(),
        'bn.runningVar': model.bn.running_var.tolist(),
        'head.w': model.head.weight.t().flatten().tolist(),
        'head.b': model.head.bias.tolist(),
    }


def fast_at():
    model = Net().train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    out = []
    alpha = 1.25 * EPS
    for step in range(2):
        delta = torch.tensor(STARTS[step]).reshape(4, 2)
        delta.data = torch.max(torch.min(delta, 1 - X), 0 - X)
        delta.requires_grad = True
        output = model(X + delta)  # train mode: batch statistics, running averages updated
        loss = F.cross_entropy(output, Y)
        loss.backward()
        grad = delta.grad.detach()
        delta.data = torch.clamp(delta + alpha * torch.sign(grad), -EPS, EPS)
        delta.data = torch.max(torch.min(delta, 1 - X), 0 - X)
        delta = delta.detach()
        output = model(X + delta)
        loss = F.cross_entropy(output, Y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        out.append({'xAdv': (X + delta).flatten().tolist(), **state(model)})
    return out


def free_at():
    model = Net().train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    noise = torch.zeros(4, 2)
    out = []
    for replay in range(2):
        noise_batch = noise.clone().requires_grad_(True)
        in1 = torch.clamp(X + noise_batch, 0, 1)
        output = model(in1)
        loss = F.cross_entropy(output, Y)
        opt.zero_grad()
        loss.backward()
        pert = EPS * torch.sign(noise_batch.grad)
        noise = torch.clamp(noise + pert, -EPS, EPS)
        opt.step()
        out.append({'xAdv': in1.detach().flatten().tolist(), 'noise': noise.flatten().tolist(), **state(model)})
    return out


def cyclic_momentum():
    # torch CyclicLR as FastAT builds it: base_lr 0, max_lr 0.2, 10 iterations up and 10 down; default momentum cycling.
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.2, momentum=0.9)
    sched = torch.optim.lr_scheduler.CyclicLR(opt, base_lr=0, max_lr=0.2, step_size_up=10, step_size_down=10)
    rows = []
    for _ in range(20):
        g = opt.param_groups[0]
        rows.append([g['lr'], g['momentum']])
        sched.step()
    return rows


print(json.dumps({'fastAT': fast_at(), 'freeAT': free_at(), 'cyclic': cyclic_momentum()}))
