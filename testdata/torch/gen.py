#!/usr/bin/python3
"""Generate PyTorch-exported ONNX fixtures for the cdrl-go ONNX importer.

What it makes (all in the directory of this script, testdata/torch/):

  For each fixture NAME (see FIXTURES below):
    NAME.onnx         model exported by torch.onnx.export (TorchScript
                      exporter, do_constant_folding=True, weights embedded,
                      no external data), batch dimension dynamic ("N").
    NAME.x.npy        float32 input x, batch 5, (5,D) or (5,C,H,W).
    NAME.logsnr.npy   float32 input logsnr, (5,).
    NAME.class.npy    int64 input class, (5,)  (only if the model takes class;
                      0 = null class).
    NAME.energy.npy   float32 (5,), torch energies, flattened.
    NAME.grad.npy     float32, d(sum energy)/dx from torch.autograd, shape of x.
  manifest.json       fixtures, opset, input/output names and shapes, op types
                      per fixture, torch/onnx versions.

Every model follows the EBM graph contract: inputs x (float32), logsnr
(float32, (N)), optionally class (int64, (N)); output energy of shape (N) or
(N,1), higher = more probable. Every model computes the sinusoidal logSNR
embedding inside the graph from the logsnr input:

  tau   = atan(exp(-0.5*clamp(logsnr,-20,20))) / (pi/2)
  omega = exp(-j*ln(10000)/(half-1)), j = 0..half-1
  emb   = [sin(1000*tau*omega), cos(1000*tau*omega)]

The script is deterministic (fixed seeds, fixed inputs). After export it runs
onnx.checker.check_model on each file, records the set of ONNX op types, and
evaluates each graph with a small numpy interpreter (check_onnx_numpy.py in
this directory) to confirm that the exported graph reproduces the torch
energies (onnxruntime is not available here).

How to run (from the repository root):

  /usr/bin/python3 testdata/torch/gen.py

Requires the Debian packages python3-torch, python3-onnx, python3-numpy.
"""

import json
import math
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
BATCH = 5


# ---------------------------------------------------------------------------
# Shared pieces
# ---------------------------------------------------------------------------


class LogSNREmbedding(nn.Module):
    """Sinusoidal embedding of logSNR, computed inside the graph."""

    def __init__(self, dim):
        super().__init__()
        assert dim % 2 == 0 and dim >= 4
        half = dim // 2
        j = torch.arange(half, dtype=torch.float32)
        # buffer -> becomes an initializer (constant) in the ONNX graph
        self.register_buffer("omega", torch.exp(-j * math.log(10000.0) / (half - 1)))

    def forward(self, logsnr):
        ls = torch.clamp(logsnr, -20.0, 20.0)  # Clip
        tau = torch.atan(torch.exp(-0.5 * ls)) / (math.pi / 2)  # Mul Exp Atan Div
        arg = 1000.0 * tau[:, None] * self.omega[None, :]  # Unsqueeze Mul
        return torch.cat([torch.sin(arg), torch.cos(arg)], dim=1)  # Sin Cos Concat


class TimeMLP(nn.Module):
    """emb(dim) -> Linear -> SiLU (h*sigmoid(h)) -> Linear."""

    def __init__(self, emb_dim, hidden, out):
        super().__init__()
        self.emb = LogSNREmbedding(emb_dim)
        self.l1 = nn.Linear(emb_dim, hidden)
        self.l2 = nn.Linear(hidden, out)

    def forward(self, logsnr):
        h = self.l1(self.emb(logsnr))
        h = h * torch.sigmoid(h)
        return self.l2(h)


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------


class ToyMLP(nn.Module):
    """2-D toy EBM MLP with time embedding and residual adds."""

    def __init__(self, squeeze, d=2, hidden=32, emb_dim=16):
        super().__init__()
        self.squeeze = squeeze
        self.time = TimeMLP(emb_dim, hidden, hidden)
        self.inp = nn.Linear(d, hidden)
        self.l1 = nn.Linear(hidden, hidden)
        self.l2 = nn.Linear(hidden, hidden)
        self.l3 = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, 1)
        self.act = nn.LeakyReLU(0.2)

    def forward(self, x, logsnr):
        t = self.time(logsnr)
        h = self.inp(x) + t  # Gemm Add
        h = h + self.act(self.l1(h))  # residual, LeakyRelu
        h = h + F.softplus(self.l2(h))  # residual, Softplus
        h = h + torch.tanh(self.l3(h))  # residual, Tanh
        e = self.out(h)  # (N,1)
        if self.squeeze:
            e = e.squeeze(1)  # Squeeze -> (N,)
        return e


class ConvEBM(nn.Module):
    """Small conv EBM on (N,1,8,8)."""

    def __init__(self, emb_dim=16):
        super().__init__()
        self.time = TimeMLP(emb_dim, 32, 16)
        self.c1 = nn.Conv2d(1, 8, 3, padding=1)  # 8x8
        self.c2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)  # 4x4
        self.c3 = nn.Conv2d(16, 16, 3, padding=1, groups=2)  # grouped
        self.gn = nn.GroupNorm(2, 16)
        self.fc = nn.Linear(16 * 4 * 4, 1)  # Gemm readout
        self.w_pool = nn.Parameter(torch.randn(16, 1) * 0.1)  # MatMul readout

    def forward(self, x, logsnr):
        t = self.time(logsnr)  # (N,16)
        h = torch.relu(self.c1(x))
        h = self.c2(h)
        h = h + t[:, :, None, None]  # per-channel bias (Unsqueeze)
        h = torch.relu(self.gn(h))
        h = self.c3(h)
        a = torch.sigmoid(h)  # (N,16,4,4)
        f1 = torch.flatten(a, 1)  # (N,256)
        f2 = torch.pow(h, 2).reshape(h.shape[0], -1)  # dynamic reshape (N,256)
        pooled = h.sum(dim=(2, 3))  # ReduceSum (N,16)
        m = f2.mean(dim=1)  # ReduceMean (N,)
        e = self.fc(f1) + pooled @ self.w_pool  # Gemm + MatMul, (N,1)
        return e.squeeze(1) - 0.05 * m  # (N,)


class ConvCondEBM(nn.Module):
    """Class-conditional conv EBM on (N,1,8,8); class 0 is the null class."""

    def __init__(self, n_classes=11, emb_dim=16, ch=8):
        super().__init__()
        self.emb = LogSNREmbedding(emb_dim)
        self.cls = nn.Embedding(n_classes, emb_dim)  # Gather
        self.t1 = nn.Linear(emb_dim, ch)
        self.c1 = nn.Conv2d(1, ch, 3, padding=1)
        self.c2 = nn.Conv2d(ch, ch, 3, stride=2, padding=1)
        self.fc = nn.Linear(ch * 4 * 4, 1)
        self.scale = nn.Parameter(torch.tensor(0.3))

    def forward(self, x, logsnr, cls):
        c = self.emb(logsnr) + self.cls(cls)  # (N,emb)
        t = self.t1(c)
        t = t * torch.sigmoid(t)
        h = F.leaky_relu(self.c1(x), 0.2)
        h = self.c2(h) + t[:, :, None, None]
        h = torch.clamp(h, -3.0, 3.0)  # Clip
        h = F.softplus(h)
        e = self.fc(torch.flatten(h, 1)).squeeze(1)
        # bounded energy term with exp
        reg = torch.exp(torch.clamp(self.scale * h.mean(dim=(1, 2, 3)), -5.0, 5.0))
        return e - 0.1 * reg  # (N,)


class MatMulMLP(nn.Module):
    """MLP with explicit x @ W + b layers (MatMul + Add), cat of x with emb."""

    def __init__(self, d=2, emb_dim=16, hidden=32, out=8):
        super().__init__()
        self.emb = LogSNREmbedding(emb_dim)
        dims = [d + emb_dim, hidden, hidden, out]
        self.W = nn.ParameterList()
        self.b = nn.ParameterList()
        for i in range(3):
            self.W.append(nn.Parameter(torch.randn(dims[i], dims[i + 1]) / math.sqrt(dims[i])))
            self.b.append(nn.Parameter(torch.randn(dims[i + 1]) * 0.1))

    def forward(self, x, logsnr):
        h = torch.cat([x, self.emb(logsnr)], dim=1)  # Concat
        h = torch.tanh(h @ self.W[0] + self.b[0])
        h = F.softplus(h @ self.W[1] + self.b[1])
        h = h @ self.W[2] + self.b[2]
        return -0.5 * (h * h).sum(dim=1)  # ReduceSum -> (N,)


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------

LOGSNR = [-25.0, -6.0, 0.0, 3.5, 25.0]  # includes values outside the clamp
CLASSES = [0, 3, 7, 10, 1]  # 0 = null class

FIXTURES = [
    dict(name="mlp_opset13", seed=13, opset=13, make=lambda: ToyMLP(squeeze=True),
         x_shape=(BATCH, 2), cls=False),
    dict(name="mlp_opset17", seed=17, opset=17, make=lambda: ToyMLP(squeeze=False),
         x_shape=(BATCH, 2), cls=False),
    dict(name="conv_opset17", seed=117, opset=17, make=ConvEBM,
         x_shape=(BATCH, 1, 8, 8), cls=False),
    dict(name="conv_cond_opset15", seed=115, opset=15, make=ConvCondEBM,
         x_shape=(BATCH, 1, 8, 8), cls=True),
    dict(name="mlp_opset16_matmul", seed=16, opset=16, make=MatMulMLP,
         x_shape=(BATCH, 2), cls=False),
]

# Op types that must appear across the fixtures. With torch 1.13 the folded
# exports still contain Constant nodes (Clip bounds, Unsqueeze/Squeeze/ReduceSum
# axes, scalar multipliers), so no do_constant_folding=False fixture is needed.
REQUIRED_OPS = ["Gemm", "MatMul", "Conv", "Relu", "LeakyRelu", "Sigmoid", "Mul", "Tanh",
                "Softplus", "InstanceNormalization", "Reshape", "Exp", "Sin", "Cos",
                "Atan", "Clip", "Pow", "Concat", "Unsqueeze", "Squeeze", "Flatten",
                "Shape", "Gather", "ReduceSum", "ReduceMean", "Constant"]


def make_inputs(fx):
    g = torch.Generator().manual_seed(1000 + fx["seed"])
    x = torch.randn(*fx["x_shape"], generator=g, dtype=torch.float32)
    logsnr = torch.tensor(LOGSNR, dtype=torch.float32)
    ins = [x, logsnr]
    if fx["cls"]:
        ins.append(torch.tensor(CLASSES, dtype=torch.int64))
    return ins


def torch_reference(model, ins):
    """Energy (flattened) and d(sum energy)/dx in float32."""
    x = ins[0].clone().requires_grad_(True)
    e = model(x, *ins[1:])
    (g,) = torch.autograd.grad(e.sum(), x)
    return e, e.detach().reshape(-1).numpy().astype(np.float32), g.numpy().astype(np.float32)


def f64_check(model, ins):
    """Relative deviation of the float32 reference from a float64 run."""
    m64 = model.double()
    x = ins[0].double().clone().requires_grad_(True)
    rest = [t.double() if t.is_floating_point() else t for t in ins[1:]]
    e = m64(x, *rest)
    (g,) = torch.autograd.grad(e.sum(), x)
    model.float()
    return e.detach().reshape(-1).numpy(), g.numpy()


def relerr(a, b):
    a = np.asarray(a, np.float64).ravel()
    b = np.asarray(b, np.float64).ravel()
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))


def shape_desc(t, dyn="N"):
    return [dyn] + list(t.shape[1:])


def export(fx, fold=True):
    name = fx["name"]
    torch.manual_seed(fx["seed"])
    model = fx["make"]().float().eval()
    ins = make_inputs(fx)
    input_names = ["x", "logsnr"] + (["class"] if fx["cls"] else [])
    e, energy, grad = torch_reference(model, ins)
    e64, g64 = f64_check(model, ins)

    path = os.path.join(HERE, name + ".onnx")
    dyn = {n: {0: "N"} for n in input_names + ["energy"]}
    with torch.no_grad():
        torch.onnx.export(
            model,
            tuple(ins),
            path,
            export_params=True,
            opset_version=fx["opset"],
            do_constant_folding=fold,
            input_names=input_names,
            output_names=["energy"],
            dynamic_axes=dyn,
        )
    mp = onnx.load(path)
    onnx.checker.check_model(mp, full_check=True)

    np.save(os.path.join(HERE, name + ".x.npy"), ins[0].numpy().astype(np.float32))
    np.save(os.path.join(HERE, name + ".logsnr.npy"), ins[1].numpy().astype(np.float32))
    if fx["cls"]:
        np.save(os.path.join(HERE, name + ".class.npy"), ins[2].numpy().astype(np.int64))
    np.save(os.path.join(HERE, name + ".energy.npy"), energy)
    np.save(os.path.join(HERE, name + ".grad.npy"), grad)

    ops = sorted({n.op_type for n in mp.graph.node})
    opset = {o.domain or "ai.onnx": o.version for o in mp.opset_import}
    files = [name + s for s in [".onnx", ".x.npy", ".logsnr.npy"]
             + ([".class.npy"] if fx["cls"] else []) + [".energy.npy", ".grad.npy"]]
    inputs = [dict(name="x", dtype="float32", shape=shape_desc(ins[0])),
              dict(name="logsnr", dtype="float32", shape=["N"])]
    if fx["cls"]:
        inputs.append(dict(name="class", dtype="int64", shape=["N"]))
    entry = dict(
        name=name,
        opset=fx["opset"],
        opset_import=opset,
        ir_version=mp.ir_version,
        do_constant_folding=fold,
        seed=fx["seed"],
        inputs=inputs,
        outputs=[dict(name="energy", dtype="float32", shape=shape_desc(e))],
        ops=ops,
        n_nodes=len(mp.graph.node),
        n_initializers=len(mp.graph.initializer),
        onnx_bytes=os.path.getsize(path),
        files=files,
        f32_vs_f64_rel_err=dict(energy=relerr(energy, e64), grad=relerr(grad, g64)),
    )
    return entry, mp, ins, energy


def fd_grad(ev, mp, feeds, h=1e-4):
    """d(sum energy)/dx of the ONNX graph by central differences in float64."""
    x = feeds["x"].astype(np.float64)
    g = np.zeros_like(x)
    for i in range(x.size):
        xp, xm = x.copy(), x.copy()
        xp.flat[i] += h
        xm.flat[i] -= h
        fp = ev.run(mp, dict(feeds, x=xp))["energy"].sum()
        fm = ev.run(mp, dict(feeds, x=xm))["energy"].sum()
        g.flat[i] = (fp - fm) / (2 * h)
    return g


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    sys.dont_write_bytecode = True  # keep testdata/torch free of __pycache__
    sys.path.insert(0, HERE)
    import check_onnx_numpy  # local numpy interpreter for the exported graphs

    entries = []
    for fx in FIXTURES:
        entry, mp, ins, energy = export(fx)
        feeds = dict(zip([i["name"] for i in entry["inputs"]], [t.numpy() for t in ins]))
        out = check_onnx_numpy.run(mp, feeds)["energy"]
        entry["numpy_eval_vs_torch_rel_err"] = relerr(out, energy)
        # dynamic batch: the same graph on the first 3 rows only
        out3 = check_onnx_numpy.run(mp, {k: v[:3] for k, v in feeds.items()})["energy"]
        assert relerr(out3, energy[:3]) < 1e-5, fx["name"]
        # the exported graph's gradient (central differences, float64) vs torch autograd
        entry["fd_grad_vs_torch_rel_err"] = relerr(fd_grad(check_onnx_numpy, mp, feeds),
                                                   np.load(os.path.join(HERE, fx["name"] + ".grad.npy")))
        entries.append(entry)

    all_ops = set().union(*[set(e["ops"]) for e in entries])
    missing = sorted(set(REQUIRED_OPS) - all_ops)
    assert not missing, "missing op types: %s" % missing

    for e in entries:
        print("%-20s opset %d %6d B  numpy-vs-torch e %.1e  fd-vs-torch g %.1e  "
              "f32-vs-f64 e %.1e g %.1e"
              % (e["name"], e["opset"], e["onnx_bytes"], e["numpy_eval_vs_torch_rel_err"],
                 e["fd_grad_vs_torch_rel_err"],
                 e["f32_vs_f64_rel_err"]["energy"], e["f32_vs_f64_rel_err"]["grad"]))
        print("    ops:", " ".join(e["ops"]))
        assert e["numpy_eval_vs_torch_rel_err"] < 1e-5, e["name"]
        assert e["fd_grad_vs_torch_rel_err"] < 1e-4, e["name"]
        assert e["onnx_bytes"] < 300 * 1024, e["name"]

    manifest = dict(
        description="PyTorch-exported EBM fixtures for the cdrl-go ONNX importer; "
                    "generated by gen.py",
        generator="testdata/torch/gen.py",
        torch_version=torch.__version__,
        onnx_version=onnx.__version__,
        numpy_version=np.__version__,
        exporter="torch.onnx.export (TorchScript exporter)",
        batch=BATCH,
        tolerance=dict(kind="norm-wise relative", value=1e-4),
        logsnr_embedding="tau=atan(exp(-0.5*clamp(logsnr,-20,20)))/(pi/2); "
                         "emb=[sin(1000*tau*omega), cos(1000*tau*omega)], "
                         "omega_j=exp(-j*ln(10000)/(half-1))",
        all_ops=sorted(all_ops),
        fixtures=entries,
    )
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=False)
        f.write("\n")
    print("all ops:", " ".join(sorted(all_ops)))


if __name__ == "__main__":
    main()
