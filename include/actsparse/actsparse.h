/* actsparse/actsparse.h: the C interface of the dispatching library (link actsparse::dispatch,
 * or -lactsparse_dispatch; pkg-config name actsparse).
 *
 * Everything here is the C++ API of the same name (README.md, "API") behind a C ABI:
 *   - No exception crosses it. Every call that can fail returns an actsparse_status; on
 *     failure actsparse_last_error() describes it (which function, which parameter, the
 *     legal values), and nothing the caller passed has been written (outputs included).
 *   - Ownership: actsparse_pack, actsparse_from_mlx and actsparse_split_panels allocate a
 *     matrix the caller owns and releases with actsparse_free; they copy their sources, which
 *     the caller keeps.
 *     Every other pointer is borrowed for the duration of the call.
 *   - Threads: OpenMP, OMP_NUM_THREADS by default, or actsparse_set_threads. y is bitwise the
 *     same for any thread count. Calls are reentrant; a matrix may be shared by threads.
 *   - Instruction set: the best the CPU and OS support, chosen on first use; ACTSPARSE_ISA or
 *     actsparse_set_isa overrides it (for tests).
 * Shapes follow the C++ API: W has `rows` outputs and `cols` inputs; x has cols floats, y
 * rows floats; X and Y are row-major [m][cols] and [m][rows].
 */
#ifndef ACTSPARSE_ACTSPARSE_H
#define ACTSPARSE_ACTSPARSE_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define ACTSPARSE_API
#else
#define ACTSPARSE_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum actsparse_status {
  ACTSPARSE_OK = 0,
  ACTSPARSE_ERROR_INVALID_ARGUMENT = 1, /* a parameter is out of its legal range */
  ACTSPARSE_ERROR_OUT_OF_MEMORY = 2,
  ACTSPARSE_ERROR_UNSUPPORTED = 3, /* the requested instruction set cannot run here */
  ACTSPARSE_ERROR_INTERNAL = 4,    /* a bug: please report the message */
  /* Not statuses: they make every int a valid value of the type (C++ would otherwise give
   * an out-of-range value from a C caller undefined behaviour). */
  ACTSPARSE_STATUS_MIN_ = -2147483647 - 1,
  ACTSPARSE_STATUS_MAX_ = 2147483647
} actsparse_status;

/* Element type of source weights (pack) or of MLX scales and biases (from_mlx). */
typedef enum actsparse_dtype {
  ACTSPARSE_F32 = 0,
  ACTSPARSE_F16 = 1,
  ACTSPARSE_BF16 = 2,
  ACTSPARSE_DTYPE_MIN_ = -2147483647 - 1, /* not dtypes: as for actsparse_status */
  ACTSPARSE_DTYPE_MAX_ = 2147483647
} actsparse_dtype;

/* A packed weight matrix (format.hpp, docs/format.md). Opaque. */
typedef struct actsparse_matrix actsparse_matrix;

ACTSPARSE_API const char* actsparse_version(void);
/* "ACTSPARSE_OK", "ACTSPARSE_ERROR_INVALID_ARGUMENT", ... */
ACTSPARSE_API const char* actsparse_status_name(actsparse_status status);
/* The message of the most recent failed call on this thread ("" if none). Valid until the
 * next failed call on this thread. */
ACTSPARSE_API const char* actsparse_last_error(void);

/* Quantizes row-major w ([rows][cols] of `type`) to `bits` (2, 3, 4, 5, 6, 8) with groups of
 * `group_size` (32, 64, 128; rows must be a multiple) along each input's strip. *out is
 * written on success only. */
ACTSPARSE_API actsparse_status actsparse_pack(const void* w, actsparse_dtype type, size_t rows, size_t cols, int bits,
                                              int group_size, actsparse_matrix** out);
/* How a group's scale and bias are chosen (quantize.hpp): MLX's rule, what actsparse_pack
 * does and mx.quantize gives, or a search for the fp16 pair of least squared error (8-24%
 * less RMS weight error at 2-4 bits, never more on a group; about 10x slower to pack). The
 * packed format is the same. */
typedef enum actsparse_quantizer {
  ACTSPARSE_QUANT_MLX = 0,
  ACTSPARSE_QUANT_MSE = 1,
  ACTSPARSE_QUANTIZER_MIN_ = -2147483647 - 1, /* not quantizers: as for actsparse_status */
  ACTSPARSE_QUANTIZER_MAX_ = 2147483647
} actsparse_quantizer;
/* actsparse_pack with the quantizer chosen. */
ACTSPARSE_API actsparse_status actsparse_pack_ex(const void* w, actsparse_dtype type, size_t rows, size_t cols,
                                                 int bits, int group_size, actsparse_quantizer quantizer,
                                                 actsparse_matrix** out);
/* Imports mx.quantize(W.T, group_size, bits) of W [rows][cols]: wq [cols][rows * bits / 32]
 * uint32, scales and biases [cols][rows / group_size] of scale_type (f16 is copied exactly;
 * bf16 and f32 are rounded to fp16). */
ACTSPARSE_API actsparse_status actsparse_from_mlx(const uint32_t* wq, const void* scales, const void* biases,
                                                  actsparse_dtype scale_type, size_t rows, size_t cols, int bits,
                                                  int group_size, actsparse_matrix** out);
/* Exports the MLX arrays (fp16 scales and biases), shapes as in actsparse_from_mlx. */
ACTSPARSE_API actsparse_status actsparse_to_mlx(const actsparse_matrix* W, uint32_t* wq, uint16_t* scales,
                                                uint16_t* biases);
/* Writes W's dequantized weights to w_out ([rows][cols] fp32, row-major, like the source of
 * actsparse_pack): w_out[n][k] = scale * code + bias, one fused multiply-add from the fp16
 * scale and bias, as C++ actsparse::dequantize. A panel matrix gives the same array
 * (its panels' rows in order). */
ACTSPARSE_API actsparse_status actsparse_dequantize(const actsparse_matrix* W, float* w_out);
/* Releases W (NULL is a no-op). */
ACTSPARSE_API void actsparse_free(actsparse_matrix* W);

/* Copies W into `panels` row blocks of whole groups (1 to rows / group_size), each in its
 * own buffer, as a new matrix *out (free it with actsparse_free; W stays valid). With a plain
 * matrix, t threads each read a 1/t slice of every strip; with panels, each thread streams
 * its own panel. actsparse_gemv_dense, actsparse_gemv_sparse, actsparse_gemv and
 * actsparse_gemm on it give bitwise W's results, with at most one thread per panel: make as
 * many panels as the threads you call with. actsparse_to_mlx does not take a panel matrix. */
ACTSPARSE_API actsparse_status actsparse_split_panels(const actsparse_matrix* W, size_t panels,
                                                      actsparse_matrix** out);
/* Panels of W: 0 for a matrix from actsparse_pack or actsparse_from_mlx (and for NULL). */
ACTSPARSE_API size_t actsparse_panels(const actsparse_matrix* W);

/* Shape and size of W (0 for NULL). bytes: the packed strips, what a dense product reads. */
ACTSPARSE_API size_t actsparse_rows(const actsparse_matrix* W);
ACTSPARSE_API size_t actsparse_cols(const actsparse_matrix* W);
ACTSPARSE_API int actsparse_bits(const actsparse_matrix* W);
ACTSPARSE_API int actsparse_group_size(const actsparse_matrix* W);
ACTSPARSE_API size_t actsparse_bytes(const actsparse_matrix* W);
/* Bytes of one input's strip (of all its panels' strips, for a panel matrix): a sparse
 * product reads nnz of them. */
ACTSPARSE_API size_t actsparse_strip_bytes(const actsparse_matrix* W);

/* Writes the ascending k < n with |x[k]| > threshold (or NaN / Inf) to idx (room for n) and
 * their count to *nnz. threshold: finite, >= 0. */
ACTSPARSE_API actsparse_status actsparse_find_active(const float* x, size_t n, float threshold, uint32_t* idx,
                                                     size_t* nnz);
/* y = W x over every input. */
ACTSPARSE_API actsparse_status actsparse_gemv_dense(const actsparse_matrix* W, const float* x, float* y);
/* y = W x over the listed inputs only (idx < cols, any order, nnz of them). */
ACTSPARSE_API actsparse_status actsparse_gemv_sparse(const actsparse_matrix* W, const float* x, const uint32_t* idx,
                                                     size_t nnz, float* y);
/* y = W x', x' = x with |x| <= threshold zeroed: detects, then reads only the active strips
 * (or all of them when nearly all are active). */
ACTSPARSE_API actsparse_status actsparse_gemv(const actsparse_matrix* W, const float* x, float* y, float threshold);
/* Y = X' W^T for m rows; row r equals actsparse_gemv of row r bit for bit. */
ACTSPARSE_API actsparse_status actsparse_gemm(const actsparse_matrix* W, const float* X, size_t m, float* Y,
                                              float threshold);

/* Options of the _ex entry points, for a runtime that calls from its own code. Zero
 * initialise (or pass NULL for all defaults), then set what you need:
 *   threads     0: actsparse_set_threads' setting; n > 0: n for this call.
 *   accumulate  nonzero: y += W x (each y[n] + (W x)[n], rounded once, as a separate add).
 *   row_begin, row_end  compute outputs [row_begin, row_end) only (row_end 0: to the last);
 *               y still holds all rows outputs, the others untouched. Multiples of the
 *               group size (row_end may be rows). Bitwise the whole call's values, so a
 *               runtime's own thread pool can split a product into ranges (threads 1).
 *   index       actsparse_gemv_ex: room for cols entries for the active list (NULL: the
 *               call allocates). Separate from x and y.
 *   x_type      ACTSPARSE_F32 (x is float), ACTSPARSE_F16 or ACTSPARSE_BF16 (x is uint16_t,
 *               converted exactly to fp32, cols conversions per call).
 *   x_f32       room for cols floats, the converted x (scratch; NULL: the call allocates).
 *   precision   ACTSPARSE_EXACT (0, the default) or ACTSPARSE_INT8: activations quantized
 *               to 8 bits per block of 32 active inputs, integer dot products (threading.hpp and
 *               kernel/int8.hpp say exactly how); still the same y for every thread count.
 *               Sparse calls then need idx strictly ascending. */
typedef enum actsparse_precision {
  ACTSPARSE_EXACT = 0,
  ACTSPARSE_INT8 = 1,
  ACTSPARSE_PRECISION_MIN_ = -2147483647 - 1, /* not precisions: as for actsparse_status */
  ACTSPARSE_PRECISION_MAX_ = 2147483647
} actsparse_precision;
typedef struct actsparse_gemv_options {
  int threads;
  int accumulate;
  size_t row_begin, row_end;
  uint32_t* index;
  actsparse_dtype x_type;
  float* x_f32;
  actsparse_precision precision;
} actsparse_gemv_options;
/* actsparse_gemv_dense, actsparse_gemv_sparse and actsparse_gemv with options (NULL: as
 * those). y's values equal theirs on the same (converted) x, bit for bit. */
ACTSPARSE_API actsparse_status actsparse_gemv_dense_ex(const actsparse_matrix* W, const void* x, float* y,
                                                       const actsparse_gemv_options* options);
ACTSPARSE_API actsparse_status actsparse_gemv_sparse_ex(const actsparse_matrix* W, const void* x, const uint32_t* idx,
                                                        size_t nnz, float* y, const actsparse_gemv_options* options);
ACTSPARSE_API actsparse_status actsparse_gemv_ex(const actsparse_matrix* W, const void* x, float* y, float threshold,
                                                 const actsparse_gemv_options* options);

/* Threads per call: 0 (the default) follows OpenMP (OMP_NUM_THREADS); n > 0 uses n.
 * Process-wide. */
ACTSPARSE_API actsparse_status actsparse_set_threads(int threads);
/* Forces an instruction set: "auto", "scalar", "sse4.2", "avx2", "avx512", "neon",
 * "avx512vnni", "neondot", "avx512vbmi".
 * ACTSPARSE_ERROR_UNSUPPORTED if this CPU, OS or build cannot run it. Process-wide. */
ACTSPARSE_API actsparse_status actsparse_set_isa(const char* name);
/* The instruction set in use ("avx512", ...), or NULL if ACTSPARSE_ISA names one that cannot
 * run here (actsparse_last_error says why; every kernel call then fails the same way). */
ACTSPARSE_API const char* actsparse_isa(void);

#ifdef __cplusplus
}
#endif

#endif /* ACTSPARSE_ACTSPARSE_H */
