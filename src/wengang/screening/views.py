"""A text column's 16-byte Arrow string views as 128-bit integers, without a copy and without pyarrow.

Polars keeps texts as Arrow string views: 16 bytes per row — the length, the first four bytes, and then either
the rest of a text of at most 12 bytes or where the text's bytes lie (buffer and offset). Two rows whose views are
equal hold equal texts; rows whose views differ may still hold equal texts (the same text stored at two places).
Comparing views is comparing integers, not bytes (:func:`wengang.screening.quarantine._view_runs`).

The views are handed from Polars back to Polars through the Arrow C data interface (the chunk exported, its
validity and views buffers imported as a ``Decimal(38, 0)`` column, read as its ``Int128`` physical values); the
exported chunk is released when that column is dropped. pyarrow (≈ 0.2 s to import) is not needed.
"""

from __future__ import annotations

import ctypes
import itertools
import threading

import polars as pl


class _Schema(ctypes.Structure):
    pass


class _Array(ctypes.Structure):
    pass


_SCHEMA_RELEASE = ctypes.CFUNCTYPE(None, ctypes.POINTER(_Schema))
_ARRAY_RELEASE = ctypes.CFUNCTYPE(None, ctypes.POINTER(_Array))
_Schema._fields_ = [
    ("format", ctypes.c_char_p),
    ("name", ctypes.c_char_p),
    ("metadata", ctypes.c_char_p),
    ("flags", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("children", ctypes.c_void_p),
    ("dictionary", ctypes.c_void_p),
    ("release", _SCHEMA_RELEASE),
    ("private_data", ctypes.c_void_p),
]
_Array._fields_ = [
    ("length", ctypes.c_int64),
    ("null_count", ctypes.c_int64),
    ("offset", ctypes.c_int64),
    ("n_buffers", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("buffers", ctypes.POINTER(ctypes.c_void_p)),
    ("children", ctypes.c_void_p),
    ("dictionary", ctypes.c_void_p),
    ("release", _ARRAY_RELEASE),
    ("private_data", ctypes.c_void_p),
]

_NULLABLE = 2  # ARROW_FLAG_NULLABLE
# exported chunks, kept until Polars drops the views read from them
_held: dict[int, tuple[_Array, ctypes.Array]] = {}
_lock = threading.Lock()
_keys = itertools.count(1)


@_ARRAY_RELEASE
def _release_views(p: ctypes._Pointer) -> None:  # Polars dropped the views column: release the exported chunk
    with _lock:
        exported, _ = _held.pop(p.contents.private_data)
    exported.release(ctypes.byref(exported))
    p.contents.release = _ARRAY_RELEASE()


@_SCHEMA_RELEASE
def _release_schema(p: ctypes._Pointer) -> None:
    p.contents.release = _SCHEMA_RELEASE()


_capsule = ctypes.pythonapi.PyCapsule_New
_capsule.restype = ctypes.py_object
_capsule.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]


class _Views:
    """What ``pl.Series`` imports through the Arrow PyCapsule interface (the array is moved out of ``array``)."""

    def __init__(self, array: _Array, schema: _Schema):
        self.array, self.schema = array, schema

    def __arrow_c_array__(self, requested_schema: object | None = None) -> tuple[object, object]:
        return (
            _capsule(ctypes.addressof(self.schema), b"arrow_schema", None),
            _capsule(ctypes.addressof(self.array), b"arrow_array", None),
        )


def text_views(chunk: pl.Series) -> pl.Series | None:
    """The Arrow string views of ``chunk`` (a String series of one chunk) as ``Int128`` values, null where the text
    is; ``None`` when Polars does not export it as string views."""
    exported, schema = _Array(), _Schema()
    chunk._export_arrow_to_c(ctypes.addressof(exported), ctypes.addressof(schema))
    views = schema.format == b"vu" and exported.n_buffers >= 2
    schema.release(ctypes.byref(schema))
    if not views:
        exported.release(ctypes.byref(exported))
        return None
    buffers = (ctypes.c_void_p * 2)(exported.buffers[0], exported.buffers[1])  # validity, views
    key = next(_keys)
    with _lock:
        _held[key] = (exported, buffers)
    array = _Array(
        exported.length, exported.null_count, exported.offset, 2, 0,
        ctypes.cast(buffers, ctypes.POINTER(ctypes.c_void_p)), None, None, _release_views, key,
    )  # fmt: skip
    decimal = _Schema(b"d:38,0", b"", None, _NULLABLE, 0, None, None, _release_schema, None)
    try:
        return pl.Series(_Views(array, decimal)).to_physical()
    except BaseException:
        if array.release:  # not imported: nothing else releases it
            with _lock:
                _held.pop(key, None)
            exported.release(ctypes.byref(exported))
        raise
