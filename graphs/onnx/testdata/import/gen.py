#!/usr/bin/python3
"""Generate the small ONNX models the importer tests use (graphs/onnx/import_test.go).

Run from the repository root (deterministic; the same packages give the same bytes):

    /usr/bin/python3 graphs/onnx/testdata/import/gen.py

Needs the Debian packages python3-onnx, python3-numpy and python3-torch (torch computes the
references of the convolution and normalisation cases).

What it writes, beside this script:

  ops/NAME.onnx, ops/NAME.x.npy, ops/NAME.logsnr.npy, [ops/NAME.class.npy], ops/NAME.y.npy
      One case per operator feature: a model with the contract inputs x and logsnr (float32;
      logsnr is the second float operand or unused) and optionally class (int64), and the
      output y; y.npy is the expected output (numpy or torch, float32). Batch axis "N"
      (dynamic) unless the case needs static shapes. ops/NAME.nograd marks cases whose
      gradient the importer cannot build (Slice with steps).
  io_names.onnx       inputs input_0 (N,2), input_1 (N); outputs output_0 (N) and aux (N):
                      for the IO mapping test.
  params.onnx         inputs x (N,3), logsnr (N); output energy (N) and aux; initializers of
                      every kind (trainable, Clip bound, Reshape shape, batch-norm statistics,
                      Shape-only, unused, feeding only aux): for the param classification test.
  opset11.onnx        a valid opset-11 model (unsupported opset).
  opset19.onnx        the same graph declared at opset 19 (unsupported opset).
  unsupported_op.onnx an Einsum node named "/head/Einsum" (unsupported op).
  custom_domain.onnx  a node of domain "com.example" (unsupported op).
  bad_*.onnx          a node "/bad" using a feature the importer rejects: Reshape allowzero=1
                      with a 0 in the shape, Dropout with its mask output, Conv auto_pad, a
                      Constant without elements (onnx-go cannot decode it).
  ext.onnx + ext.bin  two initializers stored in one external data file (offsets).
  ext_short.onnx      an external initializer whose length runs past the end of ext.bin.
  ext_escape.onnx     an external initializer whose location leaves the folder.
  ext_missing.onnx    an external initializer whose file does not exist.
  truncated.onnx      the first 3000 bytes of testdata/torch/mlp_opset13.onnx.
  garbage.onnx        256 pseudo-random bytes.
"""

import os
import shutil

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OPS = os.path.join(HERE, "ops")
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
rng = np.random.default_rng(20261201)


def f32(*shape, lo=-2.0, hi=2.0, gap=0.0):
    """Uniform float32 draws in [lo, hi], at least gap away from 0."""
    a = rng.uniform(lo, hi, size=shape)
    if gap:
        a = np.where(np.abs(a) < gap, np.sign(a + 1e-12) * gap + a, a)
    return a.astype(np.float32)


def vinfo(name, arr, static):
    dt = TensorProto.INT64 if arr.dtype == np.int64 else TensorProto.FLOAT
    shape = list(arr.shape)
    if not static and shape:
        shape[0] = "N"
    return helper.make_tensor_value_info(name, dt, shape)


def save(model, path):
    model.producer_name = "cdrl-go testdata/import/gen.py"
    with open(path, "wb") as f:
        f.write(model.SerializeToString())


def model(nodes, inputs, outputs, inits=(), opset=17, name="g"):
    g = helper.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def case(name, nodes, x, y, logsnr=None, cls=None, inits=(), opset=17, static=False, nograd=False):
    """Write one operator case: model, inputs and expected y."""
    if logsnr is None:
        logsnr = f32(x.shape[0] if x.ndim else 1)
    feeds = [("x", x), ("logsnr", logsnr)]
    if cls is not None:
        feeds.append(("class", cls))
    ins = [vinfo(n, a, static) for n, a in feeds]
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    inits = [numpy_helper.from_array(np.asarray(a), n) for n, a in inits]
    save(model(nodes, ins, [out], inits, opset, name), os.path.join(OPS, name + ".onnx"))
    for n, a in feeds:
        np.save(os.path.join(OPS, "%s.%s.npy" % (name, n)), a)
    np.save(os.path.join(OPS, name + ".y.npy"), np.array(y, dtype=np.float32, order="C"))
    if nograd:
        open(os.path.join(OPS, name + ".nograd"), "w").close()


N = helper.make_node


def const(name, arr):
    return N("Constant", [], [name], value=numpy_helper.from_array(np.asarray(arr)))


def ops_cases():
    x = f32(2, 3)
    pos = f32(2, 3, lo=0.5, hi=2.0)
    away = f32(2, 3, gap=0.2)
    sigmoid = lambda a: 1 / (1 + np.exp(-a))
    unary = {
        "Identity": (x, x), "Neg": (x, -x), "Exp": (x, np.exp(x)), "Log": (pos, np.log(pos)),
        "Sqrt": (pos, np.sqrt(pos)), "Sin": (x, np.sin(x)), "Cos": (x, np.cos(x)),
        "Atan": (x, np.arctan(x)), "Tanh": (x, np.tanh(x)), "Sigmoid": (x, sigmoid(x)),
        "Softplus": (x, np.log1p(np.exp(x))), "Relu": (away, np.maximum(away, 0)),
        "Abs": (away, np.abs(away)), "Reciprocal": (pos, 1 / pos),
    }
    for op, (a, want) in unary.items():
        case("unary_" + op, [N(op, ["x"], ["y"])], a, want)
    case("unary_LeakyRelu", [N("LeakyRelu", ["x"], ["y"], alpha=0.1)], away, np.where(away > 0, away, 0.1 * away))
    case("unary_Sign", [N("Sign", ["x"], ["s"]), N("Mul", ["s", "x"], ["y"])], away, np.sign(away) * away)

    b = f32(3, gap=0.3)
    for op, fn in {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}.items():
        case("binary_" + op, [N(op, ["x", "logsnr"], ["y"])], x, fn(x, b), logsnr=b, static=True)
    case("binary_Pow", [N("Pow", ["x", "logsnr"], ["y"])], pos, np.power(pos, b), logsnr=b, static=True)
    case("binary_Pow_int_exponent", [const("e", np.array(3, np.int64)), N("Pow", ["x", "e"], ["y"])], x, x ** 3)

    # Comparisons through Cast(bool -> float) and Where.
    l = f32(2, 3)
    l[0, 1] = x[0, 1]  # one equal entry
    cmp = [N("Greater", ["x", "logsnr"], ["g"]), N("Less", ["x", "logsnr"], ["l"]), N("Equal", ["x", "logsnr"], ["e"]),
           N("Cast", ["g"], ["gf"], to=TensorProto.FLOAT), N("Cast", ["l"], ["lf"], to=TensorProto.FLOAT),
           N("Cast", ["e"], ["ef"], to=TensorProto.FLOAT), const("two", np.float32(2)), const("four", np.float32(4)),
           N("Mul", ["lf", "two"], ["l2"]), N("Mul", ["ef", "four"], ["e4"]), N("Add", ["gf", "l2"], ["s"]),
           N("Add", ["s", "e4"], ["s2"]), N("Where", ["g", "x", "logsnr"], ["w"]), N("Add", ["s2", "w"], ["y"])]
    case("compare_where", cmp, x, (x > l) + 2.0 * (x < l) + 4.0 * (x == l) + np.where(x > l, x, l), logsnr=l, static=True,
         nograd=True)

    c = f32(2, 3, lo=-3, hi=3)
    c = np.where(np.abs(np.abs(c) - 1) < 0.1, c * 0.5, c).astype(np.float32)  # away from the bounds
    lo, hi = const("lo", np.float32(-1)), const("hi", np.float32(1))
    case("clip_both", [lo, hi, N("Clip", ["x", "lo", "hi"], ["y"])], c, np.clip(c, -1, 1))
    case("clip_max_only", [hi, N("Clip", ["x", "", "hi"], ["y"])], c, np.minimum(c, 1))
    case("clip_min_only", [lo, N("Clip", ["x", "lo"], ["y"])], c, np.maximum(c, -1))

    a = f32(4, 2)
    w = f32(4, 3)
    cb = f32(3)
    case("gemm_transA_alpha_beta", [N("Gemm", ["x", "w", "c"], ["y"], transA=1, alpha=0.5, beta=2.0)], a,
         0.5 * a.T @ w + 2 * cb, inits=[("w", w), ("c", cb)], static=True)
    w2 = f32(2, 3)
    case("gemm_transB_no_bias", [N("Gemm", ["x", "w"], ["y"], transB=1)], x, x @ w2.T, inits=[("w", w2)])
    a3 = f32(2, 4, 3)
    case("matmul_batched", [N("MatMul", ["x", "w"], ["y"])], a3, a3 @ w.T, inits=[("w", w.T.copy())])

    img = f32(2, 4, 7, 6)
    cw = f32(6, 2, 3, 2)
    cbias = f32(6)
    want = F.conv2d(F.pad(torch.from_numpy(img), (1, 0, 0, 1)), torch.from_numpy(cw), torch.from_numpy(cbias),
                    stride=(2, 1), dilation=(2, 1), groups=2).numpy()
    case("conv_stride_pad_dilation_group",
         [N("Conv", ["x", "w", "b"], ["y"], strides=[2, 1], pads=[0, 1, 1, 0], dilations=[2, 1], group=2, kernel_shape=[3, 2])],
         img, want, inits=[("w", cw), ("b", cbias)])
    sig = f32(2, 3, 9)
    cw1 = f32(4, 3, 3)
    case("conv1d_valid_no_bias", [N("Conv", ["x", "w"], ["y"], auto_pad="VALID")], sig,
         F.conv1d(torch.from_numpy(sig), torch.from_numpy(cw1)).numpy(), inits=[("w", cw1)])
    tw = f32(4, 3, 3, 3)
    tb = f32(3)
    img2 = f32(2, 4, 3, 4)
    case("conv_transpose", [N("ConvTranspose", ["x", "w", "b"], ["y"], strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1])],
         img2, F.conv_transpose2d(torch.from_numpy(img2), torch.from_numpy(tw), torch.from_numpy(tb), stride=2, padding=1,
                                  output_padding=1).numpy(), inits=[("w", tw), ("b", tb)])

    sc, bi = f32(4), f32(4)
    case("instance_norm", [N("InstanceNormalization", ["x", "s", "b"], ["y"], epsilon=1e-3)], img,
         F.instance_norm(torch.from_numpy(img), weight=torch.from_numpy(sc), bias=torch.from_numpy(bi), eps=1e-3).numpy(),
         inits=[("s", sc), ("b", bi)])
    mean, var = f32(4), f32(4, lo=0.5, hi=2)
    case("batch_norm", [N("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], epsilon=1e-3)], img,
         F.batch_norm(torch.from_numpy(img), torch.from_numpy(mean), torch.from_numpy(var), torch.from_numpy(sc),
                      torch.from_numpy(bi), eps=1e-3).numpy(),
         inits=[("s", sc), ("b", bi), ("m", mean), ("v", var)])

    t = f32(2, 3, 4)
    sm = lambda a, ax: np.exp(a - a.max(ax, keepdims=True)) / np.exp(a - a.max(ax, keepdims=True)).sum(ax, keepdims=True)
    case("softmax_axis1", [N("Softmax", ["x"], ["y"], axis=1)], t, sm(t, 1))
    case("softmax_default", [N("Softmax", ["x"], ["y"])], t, sm(t, -1))
    case("reduce_sum_keepdims", [const("ax", np.array([1], np.int64)), N("ReduceSum", ["x", "ax"], ["y"])], t, t.sum(1, keepdims=True))
    case("reduce_sum_all", [N("ReduceSum", ["x"], ["y"], keepdims=0)], t, t.sum())
    case("reduce_sum_noop", [N("ReduceSum", ["x"], ["y"], noop_with_empty_axes=1)], t, t)
    case("reduce_mean_attr", [N("ReduceMean", ["x"], ["y"], axes=[-1, 1], keepdims=0)], t, t.mean((1, 2)))
    case("reduce_mean_opset18", [const("ax", np.array([2], np.int64)), N("ReduceMean", ["x", "ax"], ["y"])], t,
         t.mean(2, keepdims=True), opset=18)

    case("concat_negative_axis", [N("Concat", ["x", "x", "x"], ["y"], axis=-1)], t, np.concatenate([t, t, t], -1))
    case("unsqueeze_squeeze", [const("a", np.array([0, -1], np.int64)), N("Unsqueeze", ["x", "a"], ["u"]),
                               N("Squeeze", ["u"], ["y"])], t, t)
    case("flatten_axis2", [N("Flatten", ["x"], ["y"], axis=2)], t, t.reshape(6, 4))
    case("reshape_zero_minus1", [const("s", np.array([0, -1], np.int64)), N("Reshape", ["x", "s"], ["y"])], t, t.reshape(2, 12))
    case("reshape_allowzero", [const("s", np.array([4, 6], np.int64)), N("Reshape", ["x", "s"], ["y"], allowzero=1)], t,
         t.reshape(4, 6))
    case("shape_start_end", [N("Shape", ["x"], ["s"], start=1, end=-1), N("Cast", ["s"], ["y"], to=TensorProto.FLOAT)], t,
         np.array([3], np.float32), opset=15)
    cls = np.array([2, 0, 2, 1], np.int64)
    case("gather_axis1", [N("Gather", ["x", "class"], ["y"], axis=1)], t, np.take(t, cls, axis=1), cls=cls, nograd=True)
    neg = np.array([-1, 0], np.int64)
    case("gather_negative", [N("Gather", ["x", "class"], ["y"])], t, np.take(t, neg, axis=0), cls=neg, static=True)
    case("transpose_perm", [N("Transpose", ["x"], ["y"], perm=[2, 0, 1])], t, t.transpose(2, 0, 1))
    case("transpose_default", [N("Transpose", ["x"], ["y"])], t, t.transpose())
    case("slice_axes", [const("st", np.array([1], np.int64)), const("en", np.array([-1], np.int64)),
                        const("ax", np.array([2], np.int64)), N("Slice", ["x", "st", "en", "ax"], ["y"])], t, t[:, :, 1:-1])
    case("slice_steps_no_axes", [const("st", np.array([0, 2], np.int64)), const("en", np.array([2, 0], np.int64)),
                                 const("sp", np.array([1, -2], np.int64)), N("Slice", ["x", "st", "en", "", "sp"], ["y"])],
         t, t[0:2, 2:0:-2], nograd=True)
    col = f32(3, 1)
    case("expand", [const("s", np.array([2, 3, 4], np.int64)), N("Expand", ["x", "s"], ["y"])], col,
         np.broadcast_to(col, (2, 3, 4)), static=True)
    case("cast_int_roundtrip", [N("Cast", ["x"], ["i"], to=TensorProto.INT64), N("Cast", ["i"], ["f"], to=TensorProto.FLOAT),
                                N("Add", ["x", "f"], ["y"])], x * 3, x * 3 + np.trunc(x * 3))
    cos = [N("Shape", ["x"], ["s"]),
           N("ConstantOfShape", ["s"], ["c"], value=numpy_helper.from_array(np.array([2.5], np.float32))),
           N("ConstantOfShape", ["s"], ["k"], value=numpy_helper.from_array(np.array([3], np.int64))),
           N("Cast", ["k"], ["kf"], to=TensorProto.FLOAT), N("Mul", ["x", "c"], ["m"]), N("Add", ["m", "kf"], ["y"])]
    case("constant_of_shape", cos, t, 2.5 * t + 3)
    case("dropout", [N("Dropout", ["x"], ["y"])], x, x)
    case("split_sizes", [const("sp", np.array([1, 3], np.int64)), N("Split", ["x", "sp"], ["a", "b"], axis=2),
                         N("Concat", ["b", "a"], ["y"], axis=2)], t, np.concatenate([t[:, :, 1:], t[:, :, :1]], 2))
    case("split_equal", [N("Split", ["x"], ["a", "b"], axis=-1), N("Sub", ["a", "b"], ["y"])], t, t[:, :, :2] - t[:, :, 2:])
    case("split_num_outputs_opset18", [N("Split", ["x"], ["a", "b"], axis=1, num_outputs=2), N("ReduceSum", ["a"], ["ra"]),
                                       N("ReduceSum", ["b"], ["rb"]), N("Add", ["ra", "rb"], ["y"])], t,
         t[:, :2].sum(keepdims=True) + t[:, 2:].sum(keepdims=True), opset=18)
    consts = [N("Constant", [], ["f"], value_float=1.5), N("Constant", [], ["fs"], value_floats=[1.0, 2.0, 3.0]),
              N("Constant", [], ["i"], value_int=2), N("Constant", [], ["is"], value_ints=[1, 0]),
              N("Mul", ["x", "f"], ["a"]), N("Add", ["a", "fs"], ["b"]), N("Gather", ["b", "is"], ["c"]),
              N("Cast", ["i"], ["fi"], to=TensorProto.FLOAT), N("Mul", ["c", "fi"], ["y"])]
    case("constant_attributes", consts, x, (x * 1.5 + np.array([1, 2, 3], np.float32))[[1, 0]] * 2)


def bad_models():
    """Models using features the importer rejects, each with one node named "/bad"."""
    ins = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 4, 4]),
           helper.make_tensor_value_info("logsnr", TensorProto.FLOAT, ["N"])]
    outs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)]
    w = numpy_helper.from_array(f32(3, 2, 3, 3), "w")
    bad = {
        "bad_allowzero": [const("s", np.array([0, -1], np.int64)), N("Reshape", ["x", "s"], ["y"], name="/bad", allowzero=1)],
        "bad_dropout_mask": [N("Dropout", ["x"], ["y", "mask"], name="/bad")],
        "bad_auto_pad": [N("Conv", ["x", "w"], ["y"], name="/bad", auto_pad="SAME_UPPER")],
        # onnx-go cannot decode a tensor without elements.
        "bad_empty_constant": [N("Constant", [], ["e"], name="/bad", value=numpy_helper.from_array(np.zeros(0, np.float32))),
                               N("Identity", ["x"], ["y"])],
    }
    for name, nodes in bad.items():
        save(model(nodes, ins, outs, [w] if name == "bad_auto_pad" else [], name=name), os.path.join(HERE, name + ".onnx"))


def contract_model(opset=17, op="Relu", domain=""):
    """energy = sum(op(x), 1) + logsnr, for the opset and unsupported-op files."""
    attrs = {"equation": "ij->i"} if op == "Einsum" else {}
    nodes = [N(op, ["x"], ["h"], name="/head/" + op, domain=domain, **attrs)]
    if op != "Einsum":
        nodes.append(N("ReduceSum", ["h", "ax"], ["r"], keepdims=0))
        nodes.append(const("ax", np.array([1], np.int64)))
        nodes.insert(0, nodes.pop())
    else:
        nodes.append(N("Identity", ["h"], ["r"]))
    nodes.append(N("Add", ["r", "logsnr"], ["energy"]))
    ins = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2]),
           helper.make_tensor_value_info("logsnr", TensorProto.FLOAT, ["N"])]
    outs = [helper.make_tensor_value_info("energy", TensorProto.FLOAT, ["N"])]
    m = model(nodes, ins, outs, opset=opset, name="contract")
    if domain:
        m.opset_import.append(helper.make_opsetid(domain, 1))
    return m


def io_names_model():
    w = numpy_helper.from_array(f32(2), "w")
    nodes = [N("Mul", ["input_0", "w"], ["h"]), const("ax", np.array([1], np.int64)),
             N("ReduceSum", ["h", "ax"], ["r"], keepdims=0), N("Add", ["r", "input_1"], ["output_0"]),
             N("Neg", ["input_1"], ["aux"])]
    ins = [helper.make_tensor_value_info("input_0", TensorProto.FLOAT, ["batch", 2]),
           helper.make_tensor_value_info("input_1", TensorProto.FLOAT, [None])]
    outs = [helper.make_tensor_value_info("output_0", TensorProto.FLOAT, ["batch"]),
            helper.make_tensor_value_info("aux", TensorProto.FLOAT, ["batch"])]
    return model(nodes, ins, outs, [w], name="io_names")


def params_model():
    inits = [
        ("W", f32(3, 2)),                       # trainable (MatMul)
        ("lo", np.float32(-1.5)),               # Clip bound: constant
        ("shape", np.array([-1, 3], np.int64)), # Reshape shape: constant
        ("b", f32(2)),                          # trainable (Add)
        ("s", f32(2)),                          # trainable (batch-norm scale)
        ("bb", f32(2)),                         # trainable (batch-norm bias)
        ("mean", f32(2)),                       # batch-norm statistic: constant
        ("var", f32(2, lo=0.5, hi=1.5)),        # batch-norm statistic: constant
        ("z", f32(2)),                          # only its Shape is used: constant
        ("unused", f32(4)),                     # not used: constant
        ("dead", f32(3)),                       # feeds only the non-contract output aux: constant
        ("k", np.float32(0.5)),                 # trainable (Mul with logsnr)
    ]
    nodes = [
        N("Clip", ["x", "lo"], ["c"]), N("Reshape", ["c", "shape"], ["r"]), N("MatMul", ["r", "W"], ["m"]),
        N("Add", ["m", "b"], ["h"]), N("BatchNormalization", ["h", "s", "bb", "mean", "var"], ["n"]),
        N("Shape", ["z"], ["zs"]), N("ConstantOfShape", ["zs"], ["zeros"]), N("Add", ["n", "zeros"], ["n2"]),
        const("ax", np.array([1], np.int64)), N("ReduceSum", ["n2", "ax"], ["e"], keepdims=0),
        N("Mul", ["logsnr", "k"], ["lk"]), N("Add", ["e", "lk"], ["energy"]), N("Mul", ["x", "dead"], ["aux"]),
    ]
    ins = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3]),
           helper.make_tensor_value_info("logsnr", TensorProto.FLOAT, ["N"])]
    outs = [helper.make_tensor_value_info("energy", TensorProto.FLOAT, ["N"]),
            helper.make_tensor_value_info("aux", TensorProto.FLOAT, ["N", 3])]
    return model(nodes, ins, outs, [numpy_helper.from_array(np.asarray(a), n) for n, a in inits], name="params")


def ext_model():
    """energy = sum(x * w, 1) + logsnr * k, with w and k stored in ext.bin."""
    w = numpy_helper.from_array(np.array([0.5, -2.0, 3.0], np.float32), "w")
    k = numpy_helper.from_array(np.array([4.0], np.float32), "k")
    nodes = [N("Mul", ["x", "w"], ["h"]), const("ax", np.array([1], np.int64)),
             N("ReduceSum", ["h", "ax"], ["r"], keepdims=0), N("Mul", ["logsnr", "k"], ["lk"]),
             N("Add", ["r", "lk"], ["energy"])]
    ins = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3]),
           helper.make_tensor_value_info("logsnr", TensorProto.FLOAT, ["N"])]
    outs = [helper.make_tensor_value_info("energy", TensorProto.FLOAT, ["N"])]
    return model(nodes, ins, outs, [w, k], name="ext")


def set_external(m, name, **kv):
    for t in m.graph.initializer:
        if t.name == name:
            for e in t.external_data:
                if e.key in kv:
                    e.value = str(kv[e.key])


def main():
    shutil.rmtree(OPS, ignore_errors=True)
    os.makedirs(OPS)
    ops_cases()
    bad_models()
    save(io_names_model(), os.path.join(HERE, "io_names.onnx"))
    save(params_model(), os.path.join(HERE, "params.onnx"))
    save(contract_model(opset=11), os.path.join(HERE, "opset11.onnx"))
    save(contract_model(opset=19), os.path.join(HERE, "opset19.onnx"))
    save(contract_model(op="Einsum"), os.path.join(HERE, "unsupported_op.onnx"))
    save(contract_model(op="Relu", domain="com.example"), os.path.join(HERE, "custom_domain.onnx"))

    m = ext_model()
    onnx.external_data_helper.convert_model_to_external_data(m, all_tensors_to_one_file=True, location="ext.bin",
                                                             size_threshold=0)
    # Writes ext.bin (the raw data of w then k) and ext.onnx.
    for f in ("ext.onnx", "ext.bin"):
        if os.path.exists(os.path.join(HERE, f)):
            os.remove(os.path.join(HERE, f))
    m.producer_name = "cdrl-go testdata/import/gen.py"
    onnx.save_model(m, os.path.join(HERE, "ext.onnx"))
    short = onnx.load(os.path.join(HERE, "ext.onnx"), load_external_data=False)
    set_external(short, "k", length=64)
    save(short, os.path.join(HERE, "ext_short.onnx"))
    escape = onnx.load(os.path.join(HERE, "ext.onnx"), load_external_data=False)
    set_external(escape, "w", location="../ext.bin")
    save(escape, os.path.join(HERE, "ext_escape.onnx"))
    missing = onnx.load(os.path.join(HERE, "ext.onnx"), load_external_data=False)
    set_external(missing, "w", location="missing.bin")
    save(missing, os.path.join(HERE, "ext_missing.onnx"))

    with open(os.path.join(ROOT, "testdata", "torch", "mlp_opset13.onnx"), "rb") as f:
        data = f.read()
    with open(os.path.join(HERE, "truncated.onnx"), "wb") as f:
        f.write(data[:3000])
    with open(os.path.join(HERE, "garbage.onnx"), "wb") as f:
        f.write(np.random.default_rng(7).integers(0, 256, size=256, dtype=np.uint8).tobytes())


if __name__ == "__main__":
    main()
