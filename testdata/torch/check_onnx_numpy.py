"""Minimal numpy interpreter for the ONNX graphs made by gen.py.

onnxruntime (python) is not available where the fixtures are generated, and
onnx 1.12 has no reference evaluator, so gen.py uses this to confirm that each
exported graph reproduces the torch energies. Floating-point tensors are
evaluated in float64. It implements only the ops (and attribute forms) that
the fixtures contain and fails loudly on anything else.

Usage from Python: run(model_proto, {"x": ..., "logsnr": ..., ["class": ...]})
returns {output_name: ndarray}.
"""

import numpy as np
from onnx import helper, numpy_helper


def _attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _f(a):
    a = np.asarray(a)
    return a.astype(np.float64) if a.dtype.kind == "f" else a


def _conv(x, w, b, a):
    group = a.get("group", 1)
    strides = a.get("strides", [1, 1])
    pads = a.get("pads", [0, 0, 0, 0])
    dil = a.get("dilations", [1, 1])
    assert a.get("auto_pad", b"NOTSET") in (b"NOTSET", "NOTSET")
    n, c, _, _ = x.shape
    m, cg, kh, kw = w.shape
    assert c == cg * group and m % group == 0
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    hp, wp = xp.shape[2:]
    oh = (hp - dil[0] * (kh - 1) - 1) // strides[0] + 1
    ow = (wp - dil[1] * (kw - 1) - 1) // strides[1] + 1
    out = np.zeros((n, m, oh, ow))
    mg = m // group
    for g in range(group):
        xg = xp[:, g * cg:(g + 1) * cg]
        wg = w[g * mg:(g + 1) * mg]
        for i in range(kh):
            for j in range(kw):
                hs, ws = i * dil[0], j * dil[1]
                patch = xg[:, :, hs:hs + strides[0] * oh:strides[0],
                           ws:ws + strides[1] * ow:strides[1]]
                out[:, g * mg:(g + 1) * mg] += np.einsum("nchw,mc->nmhw", patch, wg[:, :, i, j])
    if b is not None:
        out += b[None, :, None, None]
    return out


def _reshape(x, shape, a):
    assert a.get("allowzero", 0) == 0
    shape = [int(s) for s in shape]
    shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
    return x.reshape(shape)


def _axes(node, ins, a, idx):
    if len(ins) > idx and ins[idx] is not None:
        return tuple(int(v) for v in ins[idx])
    if "axes" in a:
        return tuple(a["axes"])
    return None


def _eval(node, ins, opset):
    op, a = node.op_type, _attrs(node)
    if op == "Constant":
        return numpy_helper.to_array(a["value"])
    if op in ("Add", "Sub", "Mul", "Div"):
        return {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply,
                "Div": np.divide}[op](ins[0], ins[1])
    if op == "Pow":
        return np.power(ins[0], ins[1])
    unary = {"Exp": np.exp, "Sin": np.sin, "Cos": np.cos, "Atan": np.arctan,
             "Tanh": np.tanh, "Relu": lambda v: np.maximum(v, 0),
             "Sigmoid": lambda v: 1 / (1 + np.exp(-v)),
             "Softplus": lambda v: np.logaddexp(0, v)}
    if op in unary:
        return unary[op](ins[0])
    if op == "LeakyRelu":
        return np.where(ins[0] >= 0, ins[0], a.get("alpha", 0.01) * ins[0])
    if op == "Clip":
        assert opset >= 11
        lo = ins[1] if len(ins) > 1 and ins[1] is not None else -np.inf
        hi = ins[2] if len(ins) > 2 and ins[2] is not None else np.inf
        return np.clip(ins[0], lo, hi)
    if op == "Gemm":
        A = ins[0].T if a.get("transA", 0) else ins[0]
        B = ins[1].T if a.get("transB", 0) else ins[1]
        y = a.get("alpha", 1.0) * (A @ B)
        if len(ins) > 2:
            y = y + a.get("beta", 1.0) * ins[2]
        return y
    if op == "MatMul":
        return np.matmul(ins[0], ins[1])
    if op == "Concat":
        return np.concatenate(ins, axis=a["axis"])
    if op == "Unsqueeze":
        y = ins[0]
        axes = _axes(node, ins, a, 1)
        r = y.ndim + len(axes)
        for ax in sorted(v % r for v in axes):
            y = np.expand_dims(y, ax)
        return y
    if op == "Squeeze":
        axes = _axes(node, ins, a, 1)
        return np.squeeze(ins[0], axis=axes)
    if op == "Flatten":
        ax = a.get("axis", 1)
        return ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)
    if op == "Reshape":
        return _reshape(ins[0], ins[1], a)
    if op == "Shape":
        return np.array(ins[0].shape, dtype=np.int64)
    if op == "Gather":
        return np.take(ins[0], ins[1], axis=a.get("axis", 0))
    if op in ("ReduceSum", "ReduceMean"):
        axes = _axes(node, ins, a, 1) if op == "ReduceSum" and opset >= 13 else a.get("axes")
        fn = np.sum if op == "ReduceSum" else np.mean
        return fn(ins[0], axis=None if axes is None else tuple(axes),
                  keepdims=bool(a.get("keepdims", 1)))
    if op == "Conv":
        return _conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)
    if op == "InstanceNormalization":
        x = ins[0]
        red = tuple(range(2, x.ndim))
        mu = x.mean(axis=red, keepdims=True)
        var = x.var(axis=red, keepdims=True)
        bshape = (1, -1) + (1,) * (x.ndim - 2)
        return (x - mu) / np.sqrt(var + a.get("epsilon", 1e-5)) * ins[1].reshape(bshape) \
            + ins[2].reshape(bshape)
    raise NotImplementedError(op)


def run(model, feeds):
    opset = [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")][0]
    env = {t.name: _f(numpy_helper.to_array(t)) for t in model.graph.initializer}
    env.update({k: _f(v) for k, v in feeds.items()})
    for node in model.graph.node:  # torch exports nodes in topological order
        ins = [env[i] if i else None for i in node.input]
        out = _eval(node, ins, opset)
        assert len(node.output) == 1
        env[node.output[0]] = _f(out)
    return {o.name: env[o.name] for o in model.graph.output}
