# SPDX-License-Identifier: MIT
"""Fashion-MNIST as the Debian package dataset-fashion-mnist installs it, for
the peer scripts (torch_mlp.py, jax_mlp.py): the folder and an IDX reader."""
import gzip
import struct

import numpy as np

DATA = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    with gzip.open(path, "rb") as f:
        magic, = struct.unpack(">I", f.read(4))
        dims = struct.unpack(">" + "I" * (magic & 0xFF), f.read(4 * (magic & 0xFF)))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(dims)
