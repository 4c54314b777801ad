#!/usr/bin/python3
"""Generate the PyTorch reference that train/optim/torch_test.go compares against.

Run from the repository root (deterministic; the same torch gives the same file):

    /usr/bin/python3 train/optim/testdata/gen_torch.py

Needs the Debian package python3-torch. Writes torch_steps.json beside this script.

Two runs of 5 steps over the same initial parameters (shapes (3,) and (2, 2)) and the same
per-step gradients, in the order of one CDRL iteration: clip_grad_norm_(max_norm 1), optimizer
step, EMA update, LambdaLR step.

  adam   torch.optim.Adam (0.9, 0.999), eps 1e-8, lr 0.1, factor min(1, n/4): first lr 0.
  adamw  torch.optim.AdamW (0.9, 0.999), eps 1e-8, weight decay 0.1, lr 0.1,
         factor min(1, (n+1)/4).

The gradient scales make some steps clip and some not; one gradient value is exactly 0. The EMA
decay 0.3 reaches its cap at the third update (2/11, 3/12, then 0.3). The EMA is torch_ema's
ExponentialMovingAverage update written out (the package is not in Debian): num_updates += 1;
decay = min(decay, (1 + num_updates) / (10 + num_updates)); shadow -= (1 - decay) * (shadow - param).

JSON fields: shapes; params0 (initial values per tensor); grads[step][tensor] (before clipping);
max_norm; ema_decay; runs[] with name, weight_decay, base_lr, warmup_steps, warmup_offset and
steps[] holding lr, norm (returned by clip_grad_norm_), params, exp_avg, exp_avg_sq, ema (after
the step). Floats are float32 values written exactly.
"""

import json
import os

import torch

STEPS = 5
SHAPES = [(3,), (2, 2)]
GRAD_SCALES = [0.3, 2.0, 0.5, 5.0, 0.05]
MAX_NORM = 1.0
EMA_DECAY = 0.3
BASE_LR = 0.1
WARMUP_STEPS = 4


def values(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def ema_update(shadow, params, num_updates):
    decay = min(EMA_DECAY, (1 + num_updates) / (10 + num_updates))
    one_minus_decay = 1.0 - decay
    with torch.no_grad():
        for s, p in zip(shadow, params):
            tmp = s - p
            tmp.mul_(one_minus_decay)
            s.sub_(tmp)


def run(name, make_opt, weight_decay, offset, params0, grads):
    params = [torch.nn.Parameter(p.clone()) for p in params0]
    opt = make_opt(params)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda n: min(1.0, (n + offset) / WARMUP_STEPS))
    shadow = [p.detach().clone() for p in params]
    steps = []
    for k in range(STEPS):
        opt.zero_grad()
        for p, g in zip(params, grads[k]):
            p.grad = g.clone()
        lr = opt.param_groups[0]["lr"]
        norm = torch.nn.utils.clip_grad_norm_(params, MAX_NORM)
        opt.step()
        ema_update(shadow, params, k + 1)
        sched.step()
        steps.append({
            "lr": lr,
            "norm": float(norm),
            "params": [values(p) for p in params],
            "exp_avg": [values(opt.state[p]["exp_avg"]) for p in params],
            "exp_avg_sq": [values(opt.state[p]["exp_avg_sq"]) for p in params],
            "ema": [values(s) for s in shadow],
        })
    return {
        "name": name,
        "weight_decay": weight_decay,
        "base_lr": BASE_LR,
        "warmup_steps": WARMUP_STEPS,
        "warmup_offset": offset,
        "steps": steps,
    }


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    params0 = [torch.randn(s) for s in SHAPES]
    grads = [[torch.randn(s) * scale for s in SHAPES] for scale in GRAD_SCALES]
    grads[2][1][0, 1] = 0.0
    runs = [
        run("adam", lambda ps: torch.optim.Adam(ps, lr=BASE_LR, betas=(0.9, 0.999), eps=1e-8),
            0.0, 0, params0, grads),
        run("adamw", lambda ps: torch.optim.AdamW(ps, lr=BASE_LR, betas=(0.9, 0.999), eps=1e-8,
                                                  weight_decay=0.1),
            0.1, 1, params0, grads),
    ]
    out = {
        "generator": "train/optim/testdata/gen_torch.py, torch " + torch.__version__,
        "shapes": [list(s) for s in SHAPES],
        "params0": [values(p) for p in params0],
        "grads": [[values(g) for g in step] for step in grads],
        "max_norm": MAX_NORM,
        "ema_decay": EMA_DECAY,
        "runs": runs,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_steps.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
