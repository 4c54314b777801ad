#!/usr/bin/env python3
"""Writes the small ONNX models that runtime/ort's tests load.

Run from the repository root with Debian's packages (apt-get install -y python3-onnx python3-numpy):

    /usr/bin/python3 testdata/ort/gen.py

The output is deterministic, so re-running it leaves the committed files unchanged.
"""

import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8
HERE = os.path.dirname(os.path.abspath(__file__))

F32 = TensorProto.FLOAT
F64 = TensorProto.DOUBLE
I64 = TensorProto.INT64
BOOL = TensorProto.BOOL


def save(graph, name):
    model = helper.make_model(
        graph,
        producer_name="cdrl-go testdata/ort/gen.py",
        opset_imports=[helper.make_opsetid("", OPSET)],
    )
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, name))


def add():
    # z = x + y with a dynamic batch dimension on x: x (N,3), y (3) -> z (N,3).
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "y"], ["z"])],
        "add",
        [
            helper.make_tensor_value_info("x", F32, ["N", 3]),
            helper.make_tensor_value_info("y", F32, [3]),
        ],
        [helper.make_tensor_value_info("z", F32, ["N", 3])],
    )
    save(graph, "add.onnx")


def int64():
    # c = a * b (4) and s = sum(c), a rank-0 output.
    graph = helper.make_graph(
        [
            helper.make_node("Mul", ["a", "b"], ["c"]),
            helper.make_node("ReduceSum", ["c"], ["s"], keepdims=0),
        ],
        "int",
        [
            helper.make_tensor_value_info("a", I64, [4]),
            helper.make_tensor_value_info("b", I64, [4]),
        ],
        [
            helper.make_tensor_value_info("c", I64, [4]),
            helper.make_tensor_value_info("s", I64, []),
        ],
    )
    save(graph, "int.onnx")


def f64():
    # y = -(x * k) in float64 with a rank-0 input k: x (2,2), k () -> y (2,2).
    graph = helper.make_graph(
        [
            helper.make_node("Mul", ["x", "k"], ["xk"]),
            helper.make_node("Neg", ["xk"], ["y"]),
        ],
        "f64",
        [
            helper.make_tensor_value_info("x", F64, [2, 2]),
            helper.make_tensor_value_info("k", F64, []),
        ],
        [helper.make_tensor_value_info("y", F64, [2, 2])],
    )
    save(graph, "f64.onnx")


def matmul():
    # y = x @ w + b with a dynamic batch: x (B,4) -> y (B,2); w and b are initializers.
    w = np.arange(8, dtype=np.float32).reshape(4, 2) / 8.0
    b = np.array([0.5, -0.5], dtype=np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["x", "w"], ["xw"]),
            helper.make_node("Add", ["xw", "b"], ["y"]),
        ],
        "matmul",
        [helper.make_tensor_value_info("x", F32, ["B", 4])],
        [helper.make_tensor_value_info("y", F32, ["B", 2])],
        initializer=[numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")],
    )
    save(graph, "matmul.onnx")


def slow():
    # A Loop that runs iters[0] times: v <- tanh(v @ x), with iters (1) int64 and x (256,256).
    # At 256x256 each step costs ~34 MFLOP, so a large iters keeps ORT busy for as long as a
    # cancellation test needs, while the file stays tiny (no weights).
    n = 256
    body = helper.make_graph(
        [
            helper.make_node("Identity", ["cond_in"], ["cond_out"]),
            helper.make_node("MatMul", ["v_in", "x"], ["vx"]),
            helper.make_node("Tanh", ["vx"], ["v_out"]),
        ],
        "slow_body",
        [
            helper.make_tensor_value_info("i", I64, []),
            helper.make_tensor_value_info("cond_in", BOOL, []),
            helper.make_tensor_value_info("v_in", F32, [n, n]),
        ],
        [
            helper.make_tensor_value_info("cond_out", BOOL, []),
            helper.make_tensor_value_info("v_out", F32, [n, n]),
        ],
    )
    graph = helper.make_graph(
        [
            helper.make_node("Squeeze", ["iters"], ["trip_count"]),
            helper.make_node("Loop", ["trip_count", "", "x"], ["y"], body=body),
        ],
        "slow",
        [
            helper.make_tensor_value_info("iters", I64, [1]),
            helper.make_tensor_value_info("x", F32, [n, n]),
        ],
        [helper.make_tensor_value_info("y", F32, [n, n])],
    )
    save(graph, "slow.onnx")


if __name__ == "__main__":
    add()
    int64()
    f64()
    matmul()
    slow()
