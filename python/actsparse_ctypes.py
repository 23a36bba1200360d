"""actsparse_ctypes: the C API of libactsparse_dispatch.so (include/actsparse/actsparse.h)
through ctypes and numpy, for the Python tools: the MLX interop test (tests/mlx/check_mlx.py)
and the MLX peer timing (bench/peer/mlx_gemv.py). Not an API of its own: each function is
the C function of the same name, arrays in place of pointers, and a failed call raises
ActsparseError with actsparse_last_error()'s message.

The library path comes from the caller (they take it from ACTSPARSE_LIB or an argument).
"""
import ctypes
import os

import numpy as np

F32, F16, BF16 = 0, 1, 2  # actsparse_dtype
_DTYPES = {np.dtype(np.float32): F32, np.dtype(np.float16): F16}


EXACT, INT8 = 0, 1  # actsparse_precision


class ActsparseError(RuntimeError):
    pass


class GemvOptions(ctypes.Structure):
    """actsparse_gemv_options."""
    _fields_ = [("threads", ctypes.c_int), ("accumulate", ctypes.c_int), ("row_begin", ctypes.c_size_t),
                ("row_end", ctypes.c_size_t), ("index", ctypes.c_void_p), ("x_type", ctypes.c_int),
                ("x_f32", ctypes.c_void_p), ("precision", ctypes.c_int)]


class Library:
    def __init__(self, path):
        if not path or not os.path.isfile(path):
            raise FileNotFoundError(f"libactsparse_dispatch.so not found at {path!r} "
                                    "(build the target actsparse_dispatch, pass its path)")
        self.lib = ctypes.CDLL(os.path.abspath(path))
        L, P, S = self.lib, ctypes.c_void_p, ctypes.c_size_t
        status = ctypes.c_int
        sig = {
            "actsparse_version": (ctypes.c_char_p, []),
            "actsparse_isa": (ctypes.c_char_p, []),
            "actsparse_last_error": (ctypes.c_char_p, []),
            "actsparse_pack": (status, [P, ctypes.c_int, S, S, ctypes.c_int, ctypes.c_int, ctypes.POINTER(P)]),
            "actsparse_pack_ex": (status, [P, ctypes.c_int, S, S, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                           ctypes.POINTER(P)]),
            "actsparse_from_mlx": (status, [P, P, P, ctypes.c_int, S, S, ctypes.c_int, ctypes.c_int,
                                            ctypes.POINTER(P)]),
            "actsparse_to_mlx": (status, [P, P, P, P]),
            "actsparse_dequantize": (status, [P, P]),
            "actsparse_free": (None, [P]),
            "actsparse_split_panels": (status, [P, S, ctypes.POINTER(P)]),
            "actsparse_rows": (S, [P]),
            "actsparse_cols": (S, [P]),
            "actsparse_bits": (ctypes.c_int, [P]),
            "actsparse_group_size": (ctypes.c_int, [P]),
            "actsparse_bytes": (S, [P]),
            "actsparse_gemv_dense": (status, [P, P, P]),
            "actsparse_gemv_dense_ex": (status, [P, P, P, ctypes.POINTER(GemvOptions)]),
            "actsparse_set_isa": (status, [ctypes.c_char_p]),
            "actsparse_gemv": (status, [P, P, P, ctypes.c_float]),
            "actsparse_set_threads": (status, [ctypes.c_int]),
        }
        for name, (res, args) in sig.items():
            f = getattr(L, name)
            f.restype, f.argtypes = res, args

    def _check(self, status, what):
        if status != 0:
            raise ActsparseError(f"{what}: status {status}: {self.lib.actsparse_last_error().decode()}")

    def version(self):
        return self.lib.actsparse_version().decode()

    def isa(self):
        name = self.lib.actsparse_isa()
        return name.decode() if name else None

    def set_isa(self, name):
        self._check(self.lib.actsparse_set_isa(name.encode()), f"actsparse_set_isa({name!r})")

    def set_threads(self, n):
        self._check(self.lib.actsparse_set_threads(n), "actsparse_set_threads")

    def pack(self, w, bits, group_size, quantizer="mlx"):
        """w: [rows][cols] float32 or float16, C-contiguous. quantizer: "mlx" or "mse" (actsparse_pack_ex)."""
        w = np.ascontiguousarray(w)
        out = ctypes.c_void_p()
        q = {"mlx": 0, "mse": 1}[quantizer]
        self._check(self.lib.actsparse_pack_ex(w.ctypes.data, _DTYPES[w.dtype], w.shape[0], w.shape[1], bits,
                                               group_size, q, ctypes.byref(out)), "actsparse_pack_ex")
        return Matrix(self, out)

    def from_mlx(self, wq, scales, biases, rows, cols, bits, group_size):
        """The arrays of mx.quantize(W.T) as numpy: wq uint32, scales/biases float16 or float32."""
        wq = np.ascontiguousarray(wq, dtype=np.uint32)
        scales, biases = np.ascontiguousarray(scales), np.ascontiguousarray(biases)
        assert scales.dtype == biases.dtype
        out = ctypes.c_void_p()
        self._check(self.lib.actsparse_from_mlx(wq.ctypes.data, scales.ctypes.data, biases.ctypes.data,
                                                _DTYPES[scales.dtype], rows, cols, bits, group_size,
                                                ctypes.byref(out)), "actsparse_from_mlx")
        return Matrix(self, out)


class Matrix:
    """An actsparse_matrix the Python side owns (freed with close() or at collection)."""

    def __init__(self, library, handle):
        self.L, self.h = library, handle
        lib = library.lib
        self.rows, self.cols = lib.actsparse_rows(handle), lib.actsparse_cols(handle)
        self.bits, self.group_size = lib.actsparse_bits(handle), lib.actsparse_group_size(handle)
        self.bytes = lib.actsparse_bytes(handle)

    def close(self):
        if self.h:
            self.L.lib.actsparse_free(self.h)
            self.h = None

    def __del__(self):
        self.close()

    def to_mlx(self):
        """(wq uint32 [cols][rows*bits/32], scales, biases fp16 [cols][rows/g]) as numpy."""
        g = self.rows // self.group_size
        wq = np.empty((self.cols, self.rows * self.bits // 32), np.uint32)
        s = np.empty((self.cols, g), np.float16)
        b = np.empty((self.cols, g), np.float16)
        self.L._check(self.L.lib.actsparse_to_mlx(self.h, wq.ctypes.data, s.ctypes.data, b.ctypes.data),
                      "actsparse_to_mlx")
        return wq, s, b

    def split_panels(self, panels):
        out = ctypes.c_void_p()
        self.L._check(self.L.lib.actsparse_split_panels(self.h, panels, ctypes.byref(out)), "actsparse_split_panels")
        return Matrix(self.L, out)

    def dequantize(self):
        """[rows][cols] float32."""
        w = np.empty((self.rows, self.cols), np.float32)
        self.L._check(self.L.lib.actsparse_dequantize(self.h, w.ctypes.data), "actsparse_dequantize")
        return w

    def gemv_dense(self, x, y, precision=EXACT):
        """y = W x; x float32 [cols], y float32 [rows], both preallocated (no copies: for timing).
        precision INT8: actsparse_gemv_dense_ex with the int8 mode, otherwise default options."""
        if precision == EXACT:
            self.L._check(self.L.lib.actsparse_gemv_dense(self.h, x.ctypes.data, y.ctypes.data),
                          "actsparse_gemv_dense")
            return
        opt = GemvOptions(precision=precision)
        self.L._check(self.L.lib.actsparse_gemv_dense_ex(self.h, x.ctypes.data, y.ctypes.data, ctypes.byref(opt)),
                      "actsparse_gemv_dense_ex")
