"""Read PyTorch checkpoint files without PyTorch and without running code from them.

A ``.pth`` / ``.pth.tar`` file is a pickle (inside a zip archive since PyTorch 1.6, bare
before). Unpickling calls whatever globals the file names, so ``torch.load`` on an untrusted
file can run anything. ``read`` unpickles with an allow-list: tensor rebuilds, storages,
``OrderedDict`` and plain containers. Any other global raises ``UnsafeCheckpointError``
naming it, before anything is called. Tensors come back as numpy arrays.
"""

import collections
import io
import os
import pickle
import struct
import zipfile

import numpy as np

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_STORAGE_DTYPES = {
    "DoubleStorage": np.float64,
    "FloatStorage": np.float32,
    "HalfStorage": np.float16,
    "BFloat16Storage": "bfloat16",
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class UnsafeCheckpointError(ValueError):
    """The checkpoint names a global outside the allow-list (it could run code)."""


class _StorageType:
    def __init__(self, name):
        self.name = name
        self.dtype = _STORAGE_DTYPES[name]

    def decode(self, raw):
        if self.dtype == "bfloat16":
            halves = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            return halves.view(np.float32)
        return np.frombuffer(raw, dtype=np.dtype(self.dtype).newbyteorder("<"))


def _rebuild_tensor(storage, offset, size, stride, *_):
    """``torch._utils._rebuild_tensor(_v2)``: a strided view of a storage, copied."""
    if isinstance(storage, tuple):  # legacy format: the storage is read after the pickle
        return _Pending(storage, offset, size, stride)
    if not size:
        return np.array(storage[offset])
    itemsize = storage.dtype.itemsize
    view = np.lib.stride_tricks.as_strided(
        storage[offset:], shape=tuple(size), strides=tuple(s * itemsize for s in stride)
    )
    return np.array(view)


def _rebuild_parameter(data, *_):
    return data


def _torch_size(*args):
    return tuple(*args) if args else ()


_ALLOWED = {
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch", "Size"): _torch_size,
}


class _Unpickler(pickle.Unpickler):
    def __init__(self, handle, load_storage):
        super().__init__(handle)
        self._load_storage = load_storage

    def find_class(self, module, name):
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        raise UnsafeCheckpointError(
            f"the checkpoint asks to call {module}.{name}, which is not a tensor or a plain "
            "container; refusing to unpickle it (nothing from the file was run)."
        )

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise UnsafeCheckpointError(f"unknown persistent id in the checkpoint: {pid!r}")
        storage_type, key = pid[1], str(pid[2])
        if not isinstance(storage_type, _StorageType):
            raise UnsafeCheckpointError(f"unknown storage type in the checkpoint: {storage_type!r}")
        return self._load_storage(storage_type, key)


def _read_zip(path):
    with zipfile.ZipFile(path) as archive:
        pickles = [n for n in archive.namelist() if n.endswith("data.pkl")]
        if len(pickles) != 1:
            raise ValueError(f"a PyTorch zip checkpoint holds one data.pkl, found {len(pickles)}")
        prefix = pickles[0][: -len("data.pkl")]
        cache = {}

        def load_storage(storage_type, key):
            if key not in cache:
                cache[key] = storage_type.decode(archive.read(f"{prefix}data/{key}"))
            return cache[key]

        with archive.open(pickles[0]) as handle:
            return _Unpickler(io.BytesIO(handle.read()), load_storage).load()


def _read_legacy(path):
    with open(path, "rb") as handle:

        def plain():
            return _Unpickler(handle, _no_storage).load()

        if plain() != _LEGACY_MAGIC:
            raise ValueError("no zip archive, no legacy magic number")
        plain()  # protocol version
        plain()  # sys info
        types = {}

        def remember(storage_type, key):
            types[key] = storage_type
            return (storage_type, key)

        result = _Unpickler(handle, remember).load()
        keys = plain()
        storages = {}
        for key in keys:
            (count,) = struct.unpack("<q", handle.read(8))
            storage_type = types[str(key)]
            size = count * (2 if storage_type.dtype == "bfloat16" else np.dtype(storage_type.dtype).itemsize)
            storages[str(key)] = storage_type.decode(handle.read(size))
    return _resolve(result, storages)


def _no_storage(storage_type, key):
    raise UnsafeCheckpointError("storage reference outside the checkpoint's tensor data.")


class _Pending:
    """A tensor of the legacy format whose storage comes after the pickle."""

    def __init__(self, storage_ref, offset, size, stride):
        self.args = storage_ref, offset, size, stride


def _resolve(obj, storages):
    if isinstance(obj, _Pending):
        (_, key), offset, size, stride = obj.args
        return _rebuild_tensor(storages[key], offset, size, stride)
    if isinstance(obj, dict):
        return type(obj)((k, _resolve(v, storages)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_resolve(v, storages) for v in obj)
    return obj


def read(path):
    """The object saved in the PyTorch checkpoint ``path``, tensors as numpy arrays.

    Raises ``FileNotFoundError`` for a missing file, ``UnsafeCheckpointError`` for a file
    that names any global beyond tensors and containers, ``ValueError`` for anything else
    that is not a PyTorch checkpoint.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        if zipfile.is_zipfile(path):
            return _read_zip(path)
        return _read_legacy(path)
    except (UnsafeCheckpointError, FileNotFoundError):
        raise
    # ValueError: ours, or the unpickler's parse of junk (b"garbage" is GET with index int("arbage"))
    except (
        ValueError,
        pickle.UnpicklingError,
        EOFError,
        KeyError,
        IndexError,
        TypeError,
        struct.error,
        zipfile.BadZipFile,
    ) as error:
        raise ValueError(f"{path}: not a readable PyTorch checkpoint ({type(error).__name__}: {error}).") from None


#: File names that ``weights=`` and the command line read as PyTorch checkpoints.
TORCH_SUFFIXES = (".pth", ".pth.tar", ".pt", ".tar")


def is_torch_checkpoint(path):
    """Whether ``weights=path`` names a PyTorch checkpoint (by its file name)."""
    return isinstance(path, (str, bytes)) and str(path).endswith(TORCH_SUFFIXES)
