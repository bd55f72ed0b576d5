"""Reads a PyTorch state dict in torch's legacy (non-zip) format, without torch and without trusting pickle.

A legacy ``torch.save`` file is five pickles in a row (magic number, protocol version,
system info, the state dict, the list of storage keys) followed by the raw storages,
each an int64 element count and its little-endian bytes. The state dict pickle names
classes: a restricted unpickler admits exactly ``collections.OrderedDict``,
``torch._utils._rebuild_tensor_v2`` and the ``torch.*Storage`` type names, and refuses
every other class with one line before anything of it is built. Tensors come back as
numpy arrays.

When a SHA-256 (or, after torch hub's convention, a file name ending in ``-<hex prefix>``)
is known, the file's digest is checked before anything is unpickled.

Example:
    tensors = read_state_dict("efficientnet-lite0-57934424.pth", sha256=EXPECTED)
    tensors["_conv_stem.weight"].shape      # (32, 3, 3, 3)
"""
import collections
import hashlib
import io
import os
import pickle
import re
import struct

import numpy as np

from tfopt.core.errors import InputError

__all__ = ["read_state_dict", "sha256_of", "check_sha256", "ADMITTED"]

_MAGIC = 0x1950A86A20F9469CFC6C
_PROTOCOL = 1001
_STORAGE_DTYPES = {
    "FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16, "CharStorage": np.int8,
    "ByteStorage": np.uint8, "BoolStorage": np.bool_,
}
ADMITTED = ("collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
            *(f"torch.{name}" for name in _STORAGE_DTYPES))
"""The only classes and functions a state dict pickle may name."""


def sha256_of(path):
    """Returns the hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_sha256(path, expected):
    """Raises InputError unless the file's SHA-256 starts with ``expected`` (a full digest or a prefix)."""
    actual = sha256_of(path)
    if not actual.startswith(expected.lower()):
        raise InputError(f"expected {os.path.basename(path)} with SHA-256 {expected}; received: {actual} "
                         f"({path}: a damaged or altered file)")


class _Storage:
    """Stands for a ``torch.*Storage`` type while unpickling (never a torch object)."""

    def __init__(self, name):
        self.name, self.dtype = name, np.dtype(_STORAGE_DTYPES[name])


class _Tensor:
    """What ``_rebuild_tensor_v2`` leaves behind: where a tensor's values are, filled in later."""

    def __init__(self, storage, offset, size, stride, *unused):
        self.storage, self.offset, self.size, self.stride = storage, int(offset), tuple(size), tuple(stride)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, *rest):
    return _Tensor(storage, storage_offset, size, stride)


class _Unpickler(pickle.Unpickler):
    """An unpickler that builds only what :data:`ADMITTED` names and records storages by key."""

    def __init__(self, file, path, storages):
        super().__init__(file)
        self._path, self._storages = path, storages

    def find_class(self, module, name):
        full = f"{module}.{name}"
        if full == "collections.OrderedDict":
            return collections.OrderedDict
        if full == "torch._utils._rebuild_tensor_v2":
            return _rebuild_tensor_v2
        if module == "torch" and name in _STORAGE_DTYPES:
            return _Storage(name)
        raise InputError(f"expected a state dict pickle naming only {', '.join(ADMITTED[:2])} and torch storage "
                         f"types; received: {full!r} in {self._path} (refused, nothing of it was run)")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] == "storage"
                and isinstance(pid[1], _Storage)):
            raise InputError(f"expected torch storage references ('storage', type, key, location, size[, view]); "
                             f"received: {str(pid)[:80]!r} in {self._path}")
        _, kind, key, _location, numel, *view = pid
        self._storages.setdefault(str(key), {"dtype": kind.dtype, "numel": int(numel), "data": None})
        view = view[0] if view else None
        # A view (view key, offset, size) of a larger storage: its values start `offset` elements in.
        return str(key), int(view[1]) if view else 0


def _load(file, path, storages, what):
    try:
        return _Unpickler(file, path, storages).load()
    except InputError:
        raise
    except Exception as error:
        raise InputError(f"expected a PyTorch legacy state dict ({what}); received: {path} "
                         f"({error.__class__.__name__}: {str(error)[:80]})") from None


def _read_storages(file, path, keys, storages):
    for key in keys:
        entry = storages.get(str(key))
        head = file.read(8)
        if entry is None or len(head) < 8:
            raise InputError(f"expected the raw storage {key!r} after the pickles; received: {path} (truncated "
                             f"or inconsistent)")
        (numel,) = struct.unpack("<q", head)
        data = file.read(numel * entry["dtype"].itemsize)
        if numel != entry["numel"] or len(data) != numel * entry["dtype"].itemsize:
            raise InputError(f"expected {entry['numel']} values in storage {key!r}; received: {path} (truncated)")
        entry["data"] = np.frombuffer(data, dtype=entry["dtype"].newbyteorder("<"))


def _materialize(name, tensor, storages, path):
    if not isinstance(tensor, _Tensor):
        raise InputError(f"expected a tensor for {name!r}; received: {type(tensor).__name__} in {path}")
    key, base = tensor.storage
    flat = storages[key]["data"]
    if flat is None:
        raise InputError(f"expected the raw storage of {name!r}; received: {path} (missing)")
    itemsize, offset = flat.dtype.itemsize, base + tensor.offset
    last = offset + sum((n - 1) * s for n, s in zip(tensor.size, tensor.stride)) if all(tensor.size) else 0
    if offset < 0 or min(tensor.stride, default=0) < 0 or (all(tensor.size) and last >= len(flat)):
        raise InputError(f"expected {name!r} inside its storage; received: {path} (out of range)")
    view = np.lib.stride_tricks.as_strided(flat[offset:], shape=tensor.size,
                                           strides=[s * itemsize for s in tensor.stride], writeable=False)
    return np.array(view, dtype=flat.dtype.newbyteorder("="))


def read_state_dict(path, *, sha256=None):
    """Reads a legacy-format PyTorch state dict into ``{name: numpy array}``.

    Args:
        path: the .pth file.
        sha256: the expected hex SHA-256 (or a prefix of it), checked before anything is
            unpickled. None: a file named like torch hub's ``name-<8+ hex>.pth`` is
            checked against that prefix; other names are not checked.

    Returns:
        collections.OrderedDict of numpy arrays, in the file's order.

    Raises:
        InputError: missing file, checksum mismatch, a pickle naming anything not in
            :data:`ADMITTED`, or a file that is not a legacy state dict (zip-format files
            included: load and re-save them with ``_use_new_zipfile_serialization=False``).
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise InputError(f"expected an existing .pth state dict file; received: {path!r} (not found)")
    if sha256 is None:
        hub = re.search(r"-([0-9a-f]{8,64})\.pth?$", os.path.basename(path))
        sha256 = hub.group(1) if hub else None
    if sha256:
        check_sha256(path, sha256)
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"PK":
        raise InputError(f"expected torch's legacy (non-zip) format; received: a zip-format file {path}")
    file, storages = io.BytesIO(data), {}
    if _load(file, path, storages, "magic number") != _MAGIC:
        raise InputError(f"expected torch's legacy magic number; received: {path} (not a legacy torch file)")
    if _load(file, path, storages, "protocol") != _PROTOCOL:
        raise InputError(f"expected torch's legacy protocol {_PROTOCOL}; received: {path}")
    info = _load(file, path, storages, "system info")
    if isinstance(info, dict) and info.get("little_endian") is False:
        raise InputError(f"expected a little-endian state dict; received: a big-endian one ({path})")
    state = _load(file, path, storages, "state dict")
    keys = _load(file, path, storages, "storage keys")
    if not isinstance(state, dict) or not isinstance(keys, list):
        raise InputError(f"expected a state dict (a dict of tensors); received: {type(state).__name__} in {path}")
    _read_storages(file, path, keys, storages)
    return collections.OrderedDict((str(k), _materialize(k, v, storages, path)) for k, v in state.items())
