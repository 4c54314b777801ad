#!/usr/bin/env python3
"""Writes the .npy files that runtime/tensor's tests read, with NumPy's own writer.

Run from the repository root with Debian's packages (apt-get install -y python3-numpy):

    /usr/bin/python3 testdata/npy/gen.py

The output is deterministic, so re-running it leaves the committed files unchanged.
"""

import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def save(name, arr, version=None):
    with open(os.path.join(HERE, name), "wb") as f:
        np.lib.format.write_array(f, arr, version=version, allow_pickle=False)


# Readable files. The Go test knows their contents: element i of the flattened array is i
# scaled or shifted as below.
save("f4_2x3.npy", (np.arange(6, dtype=np.float32) - 2.5).reshape(2, 3))
save("f8_3.npy", np.array([0.1, -2.0, 1e300], dtype=np.float64))
save("i8_2x2.npy", np.array([[1, -2], [3, 1 << 40]], dtype=np.int64))
save("i4_4.npy", np.array([7, -8, 2**31 - 1, -(2**31)], dtype=np.int32))
save("f4_scalar.npy", np.array(3.5, dtype=np.float32))
save("f4_0x3.npy", np.zeros((0, 3), dtype=np.float32))
save("f4_2x3_v2.npy", (np.arange(6, dtype=np.float32) - 2.5).reshape(2, 3), version=(2, 0))

# Files the reader must refuse with a clear error.
save("f4_fortran.npy", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
save("f4_bigendian.npy", np.arange(3, dtype=">f4"))
save("u1_3.npy", np.arange(3, dtype=np.uint8))
