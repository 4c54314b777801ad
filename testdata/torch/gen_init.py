#!/usr/bin/python3
"""Writes init_mlp_opset17.onnx: a small 2-D CDRL initializer exported from PyTorch, used by the
tests that train user-supplied graphs (cdrl-train --ebm ... --initializer ...).

Contract (design.md section 3): inputs x (N,2) and logsnr (N) -> y (N,2) = x + net(x, emb(logsnr)),
the output layer zero-initialised so the initializer starts as the identity.

Run: /usr/bin/python3 testdata/torch/gen_init.py   (Debian's python3-torch)
"""
import math
import os

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))


class Init(nn.Module):
    def __init__(self, dim=16, hidden=32):
        super().__init__()
        half = dim // 2
        self.register_buffer("omega", torch.exp(-torch.arange(half) * math.log(10000) / (half - 1)))
        self.inp = nn.Linear(2 + dim, hidden)
        self.out = nn.Linear(hidden, 2)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x, logsnr):
        tau = torch.atan(torch.exp(-0.5 * torch.clamp(logsnr, -20, 20))) / (math.pi / 2)
        a = 1000 * tau[:, None] * self.omega[None, :]
        h = self.inp(torch.cat([x, torch.sin(a), torch.cos(a)], dim=1))
        return x + self.out(h * torch.sigmoid(h))


def main():
    torch.manual_seed(3)
    m = Init().eval()
    x, l = torch.randn(4, 2), torch.tensor([9.8, 1.0, -2.0, -5.1])
    path = os.path.join(HERE, "init_mlp_opset17.onnx")
    torch.onnx.export(m, (x, l), path, input_names=["x", "logsnr"], output_names=["y"], opset_version=17,
                      dynamic_axes={"x": {0: "N"}, "logsnr": {0: "N"}, "y": {0: "N"}}, do_constant_folding=True)
    print("wrote", path)


if __name__ == "__main__":
    main()
