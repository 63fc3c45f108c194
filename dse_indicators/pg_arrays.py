"""PostgreSQL arrays in their binary wire format, turned into numpy arrays without a Python loop.

A binary array is: ndim, has-nulls flag, element type oid (int32 each), then (length, lower
bound) per dimension, then each element as its byte length and its big-endian bytes. With
fixed-size elements and no nulls, that is a regular structure numpy reads in one call.
"""

from __future__ import annotations

import struct

import numpy as np

_HEADER = struct.Struct(">iii")
# The element types the export reads: PostgreSQL's binary layout -> the native numpy type.
ELEMENTS = {
    "float8": (np.dtype(">f8"), np.dtype("f8")),
    "int8": (np.dtype(">i8"), np.dtype("i8")),
    "int4": (np.dtype(">i4"), np.dtype("i4")),
    "date": (np.dtype(">i4"), np.dtype("i4")),  # days since 2000-01-01
}
# date's epoch, in the days since 1970-01-01 that Arrow's date32 counts.
DATE_EPOCH_DAYS = 10_957


class ArrayFormatError(ValueError):
    """The bytes are not a null-free array of the expected element type."""


def parse(data: bytes, element: str, native: bool = True) -> np.ndarray:
    """One binary array (any number of dimensions) as a numpy array: native-endian, or with
    native=False a read-only view of the bytes themselves (big-endian), to be copied once later.
    """
    wire, native_type = ELEMENTS[element]
    ndim, has_nulls, _oid = _HEADER.unpack_from(data, 0)
    if has_nulls:
        raise ArrayFormatError(f"a {element} array holds nulls")
    bounds = struct.unpack_from(f">{2 * ndim}i", data, _HEADER.size)
    shape = bounds[0::2]
    count = int(np.prod(shape)) if ndim else 0
    layout = np.dtype([("length", ">i4"), ("value", wire)])
    offset = _HEADER.size + 8 * ndim
    if len(data) != offset + count * layout.itemsize:
        raise ArrayFormatError(f"a {element} array of shape {shape} has {len(data)} bytes")
    # Without nulls, every element of a fixed-size type is (its size, its bytes): the length
    # check above settles the layout.
    values = np.frombuffer(data, dtype=layout, count=count, offset=offset)["value"].reshape(shape)
    return values.astype(native_type) if native else values
