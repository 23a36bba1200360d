/* tests/c_api/test_capi.c: the C interface, from C. Every call against an independent
 * oracle: the matrix is exported with actsparse_to_mlx, decoded here (bit stream and fp16 by
 * hand) and multiplied in double precision. Also the error contract: status, message
 * naming the parameter, outputs untouched.
 *
 * Usage: test_capi              the full test
 *        test_capi --bad-env    expects ACTSPARSE_ISA to name an ISA that cannot run here:
 *                               every call must fail with ACTSPARSE_ERROR_UNSUPPORTED. */
#include <actsparse/actsparse.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#define CHECK(cond, ...)                                      \
  do {                                                        \
    if (!(cond)) {                                            \
      fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                           \
      fprintf(stderr, "\n");                                  \
      ++failures;                                             \
    }                                                         \
  } while (0)

static double half_to_double(uint16_t h) {
  const int e = (h >> 10) & 0x1f, m = h & 0x3ff;
  const double sign = (h & 0x8000) ? -1.0 : 1.0;
  if (e == 0) return sign * ldexp(m, -24);
  if (e == 31) return m ? NAN : sign * INFINITY;
  return sign * ldexp(1024 + m, e - 25);
}

static unsigned code_at(const uint8_t* stream, size_t n, int bits) {
  unsigned v = 0;
  for (int b = 0; b < bits; ++b) {
    const size_t pos = n * (size_t)bits + (size_t)b;
    v |= (unsigned)((stream[pos >> 3] >> (pos & 7)) & 1u) << b;
  }
  return v;
}

/* y_ref = W x in double, from the exported MLX arrays; mag = sum |x| (|s q| + |b|). */
static void oracle(const actsparse_matrix* W, const float* x, double* y_ref, double* mag) {
  const size_t N = actsparse_rows(W), K = actsparse_cols(W);
  const int bits = actsparse_bits(W), g = actsparse_group_size(W);
  const size_t G = N / (size_t)g, words = N * (size_t)bits / 32;
  uint32_t* wq = malloc(K * words * sizeof *wq);
  uint16_t* s = malloc(K * G * sizeof *s);
  uint16_t* b = malloc(K * G * sizeof *b);
  CHECK(actsparse_to_mlx(W, wq, s, b) == ACTSPARSE_OK, "to_mlx: %s", actsparse_last_error());
  for (size_t n = 0; n < N; ++n) y_ref[n] = mag[n] = 0;
  for (size_t k = 0; k < K; ++k) {
    if (x[k] == 0.0f) continue;
    const uint8_t* stream = (const uint8_t*)(wq + k * words);
    for (size_t n = 0; n < N; ++n) {
      const double sc = half_to_double(s[k * G + n / (size_t)g]), bi = half_to_double(b[k * G + n / (size_t)g]);
      const double q = code_at(stream, n, bits);
      y_ref[n] += (double)x[k] * (sc * q + bi);
      mag[n] += fabs((double)x[k]) * (fabs(sc * q) + fabs(bi));
    }
  }
  free(wq);
  free(s);
  free(b);
}

/* actsparse_dequantize(W) equals scale * code + bias decoded here from the exported arrays,
 * as one fmaf (a correctly rounded fused multiply-add, as the library's), bit for bit; so does
 * the panel matrix P split from W. */
static void check_dequantize(const actsparse_matrix* W, const actsparse_matrix* P) {
  const size_t N = actsparse_rows(W), K = actsparse_cols(W);
  const int bits = actsparse_bits(W), g = actsparse_group_size(W);
  const size_t G = N / (size_t)g, words = N * (size_t)bits / 32;
  uint32_t* wq = malloc(K * words * sizeof *wq);
  uint16_t* s = malloc(K * G * sizeof *s);
  uint16_t* b = malloc(K * G * sizeof *b);
  float* w_ref = malloc(N * K * sizeof *w_ref);
  float* w_out = malloc(N * K * sizeof *w_out);
  CHECK(actsparse_to_mlx(W, wq, s, b) == ACTSPARSE_OK, "to_mlx: %s", actsparse_last_error());
  for (size_t k = 0; k < K; ++k) {
    const uint8_t* stream = (const uint8_t*)(wq + k * words);
    for (size_t n = 0; n < N; ++n) {
      const float sc = (float)half_to_double(s[k * G + n / (size_t)g]), bi = (float)half_to_double(b[k * G + n / (size_t)g]);
      w_ref[n * K + k] = fmaf(sc, (float)code_at(stream, n, bits), bi);
    }
  }
  CHECK(actsparse_dequantize(W, w_out) == ACTSPARSE_OK, "dequantize: %s", actsparse_last_error());
  CHECK(memcmp(w_out, w_ref, N * K * sizeof *w_out) == 0, "bits=%d: dequantize differs from the decoded arrays", bits);
  memset(w_out, 0, N * K * sizeof *w_out);
  CHECK(actsparse_dequantize(P, w_out) == ACTSPARSE_OK, "dequantize panels: %s", actsparse_last_error());
  CHECK(memcmp(w_out, w_ref, N * K * sizeof *w_out) == 0, "bits=%d: dequantize of the panel matrix differs", bits);
  free(wq);
  free(s);
  free(b);
  free(w_ref);
  free(w_out);
}

static void expect_near(const float* y, const double* y_ref, const double* mag, size_t N, size_t terms,
                        const char* what) {
  for (size_t n = 0; n < N; ++n) {
    const double tol = 1.1920929e-7 * (double)(terms + 4) * mag[n] + 1e-45;
    if (!(fabs((double)y[n] - y_ref[n]) <= tol)) {
      CHECK(0, "%s: y[%zu] = %.9g, oracle %.9g, tolerance %.3g", what, n, y[n], y_ref[n], tol);
      return;
    }
  }
}

static int contains(const char* s, const char* needle) { return s && strstr(s, needle) != NULL; }

static unsigned long long rng_state = 88172645463325252ull;
static float uniform(void) { /* xorshift64, in [-1, 1) */
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (float)((double)(rng_state >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

static int bad_env(void) {
  const char* isa = actsparse_isa();
  CHECK(isa == NULL, "actsparse_isa() = %s under a bad ACTSPARSE_ISA", isa);
  CHECK(contains(actsparse_last_error(), "ACTSPARSE_ISA"), "message: %s", actsparse_last_error());
  float w[64 * 2] = {0}, x[2] = {1, 0}, y[64];
  actsparse_matrix* W = NULL;
  CHECK(actsparse_pack(w, ACTSPARSE_F32, 64, 2, 4, 64, &W) == ACTSPARSE_OK, "pack: %s", actsparse_last_error());
  y[0] = 42.0f;
  CHECK(actsparse_gemv(W, x, y, 0.0f) == ACTSPARSE_ERROR_UNSUPPORTED, "gemv did not fail");
  CHECK(y[0] == 42.0f, "y written");
  CHECK(contains(actsparse_last_error(), "ACTSPARSE_ISA"), "message: %s", actsparse_last_error());
  actsparse_free(W);
  return failures == 0 ? 0 : 1;
}

/* The _ex entry points against the plain ones, bit for bit: NULL options, accumulate, two
 * row ranges, the caller's index buffer, f16 and bf16 x (decoded here independently), on W
 * (N = 256 outputs, groups of 64) and its panels P. */
static void check_ex(const actsparse_matrix* W, const float* x, size_t N, size_t K, int bits) {
  float y[256], yd[256], y0[256], want[256];
  uint32_t index[200], idx[200];
  size_t nnz = 0;
  CHECK(actsparse_gemv_dense(W, x, yd) == ACTSPARSE_OK, "gemv_dense: %s", actsparse_last_error());
  CHECK(actsparse_gemv_dense_ex(W, x, y, NULL) == ACTSPARSE_OK, "gemv_dense_ex: %s", actsparse_last_error());
  CHECK(memcmp(y, yd, N * sizeof *y) == 0, "bits=%d: gemv_dense_ex(NULL options) differs", bits);

  actsparse_gemv_options o;
  memset(&o, 0, sizeof o);
  o.accumulate = 1;
  for (size_t n = 0; n < N; ++n) y[n] = y0[n] = uniform();
  CHECK(actsparse_gemv_ex(W, x, y, 0.0f, &o) == ACTSPARSE_OK, "gemv_ex accumulate: %s", actsparse_last_error());
  for (size_t n = 0; n < N; ++n) want[n] = y0[n] + yd[n];
  CHECK(memcmp(y, want, N * sizeof *y) == 0, "bits=%d: accumulate is not y0 + W x", bits);

  memset(&o, 0, sizeof o);
  o.threads = 1;
  for (size_t n = 0; n < N; ++n) y[n] = 42.0f;
  o.row_begin = 64, o.row_end = 192;
  CHECK(actsparse_gemv_dense_ex(W, x, y, &o) == ACTSPARSE_OK, "row range: %s", actsparse_last_error());
  for (size_t n = 0; n < N; ++n)
    CHECK(n >= 64 && n < 192 ? y[n] == yd[n] : y[n] == 42.0f, "bits=%d: rows [64, 192): y[%zu] = %g", bits, n, y[n]);
  o.row_begin = 192, o.row_end = 0;
  CHECK(actsparse_find_active(x, K, 0.0f, idx, &nnz) == ACTSPARSE_OK, "find_active");
  CHECK(actsparse_gemv_sparse_ex(W, x, idx, nnz, y, &o) == ACTSPARSE_OK, "row range: %s", actsparse_last_error());
  for (size_t n = 192; n < N; ++n) CHECK(y[n] == yd[n], "bits=%d: rows [192, end): y[%zu]", bits, n);

  memset(&o, 0, sizeof o);
  o.index = index;
  CHECK(actsparse_gemv_ex(W, x, y, 0.0f, &o) == ACTSPARSE_OK, "index: %s", actsparse_last_error());
  CHECK(memcmp(y, yd, N * sizeof *y) == 0, "bits=%d: gemv_ex with an index buffer differs", bits);
  CHECK(memcmp(index, idx, nnz * sizeof *idx) == 0, "bits=%d: the index buffer is not the active list", bits);

  /* f16 and bf16 x: each decoded here (half_to_double; bf16 as the top half of a float),
   * then the fp32 call on the decoded values. */
  uint16_t h[200], b[200];
  float xh[200], xb[200];
  float scratch[200];
  for (size_t k = 0; k < K; ++k) {
    h[k] = (uint16_t)(k % 3 == 0 ? (rand() & 0x7bff) | ((k & 1) << 15) : 0); /* finite, either sign */
    xh[k] = (float)half_to_double(h[k]);
    uint32_t u;
    memcpy(&u, &x[k], sizeof u);
    b[k] = (uint16_t)(u >> 16);
    u = (uint32_t)b[k] << 16;
    memcpy(&xb[k], &u, sizeof u);
  }
  for (int with_scratch = 0; with_scratch <= 1; ++with_scratch) {
    memset(&o, 0, sizeof o);
    o.x_f32 = with_scratch ? scratch : NULL;
    o.x_type = ACTSPARSE_F16;
    CHECK(actsparse_gemv_dense(W, xh, want) == ACTSPARSE_OK, "gemv_dense");
    CHECK(actsparse_gemv_ex(W, h, y, 0.0f, &o) == ACTSPARSE_OK, "f16 x: %s", actsparse_last_error());
    CHECK(memcmp(y, want, N * sizeof *y) == 0, "bits=%d: f16 x differs from its fp32 values", bits);
    o.x_type = ACTSPARSE_BF16;
    CHECK(actsparse_gemv_dense(W, xb, want) == ACTSPARSE_OK, "gemv_dense");
    CHECK(actsparse_gemv_dense_ex(W, b, y, &o) == ACTSPARSE_OK, "bf16 x: %s", actsparse_last_error());
    CHECK(memcmp(y, want, N * sizeof *y) == 0, "bits=%d: bf16 x differs from its fp32 values", bits);
  }

  /* int8 precision: within 2% of the double-precision product of the dequantized weights
   * (the mode's error is about 0.5%, docs/performance.md), not the exact call's bits (the
   * option reached the kernels), and gemv at threshold 0 equal to gemv_dense. */
  {
    static float w[256 * 200];
    CHECK(actsparse_dequantize(W, w) == ACTSPARSE_OK, "dequantize: %s", actsparse_last_error());
    memset(&o, 0, sizeof o);
    o.precision = ACTSPARSE_INT8;
    CHECK(actsparse_gemv_dense_ex(W, x, y, &o) == ACTSPARSE_OK, "int8 dense: %s", actsparse_last_error());
    CHECK(actsparse_gemv_ex(W, x, y0, 0.0f, &o) == ACTSPARSE_OK, "int8 gemv: %s", actsparse_last_error());
    CHECK(memcmp(y, y0, N * sizeof *y) == 0, "bits=%d: int8 gemv at threshold 0 differs from int8 gemv_dense", bits);
    CHECK(memcmp(y, yd, N * sizeof *y) != 0, "bits=%d: int8 gave the exact call's bits", bits);
    double err = 0, mag = 0;
    for (size_t n = 0; n < N; ++n) {
      double ref = 0;
      for (size_t k = 0; k < K; ++k) ref += (double)w[n * K + k] * x[k];
      err = fmax(err, fabs(y[n] - ref));
      mag = fmax(mag, fabs(ref));
    }
    CHECK(err <= 0.02 * mag, "bits=%d: int8 max |y - ref| / max |ref| = %g", bits, err / mag);
  }

  /* Bad options: the field named, y untouched. */
  for (size_t n = 0; n < N; ++n) y[n] = 42.0f;
  memset(&o, 0, sizeof o);
  o.row_begin = 32;
  CHECK(actsparse_gemv_ex(W, x, y, 0.0f, &o) == ACTSPARSE_ERROR_INVALID_ARGUMENT, "row_begin 32 accepted");
  CHECK(contains(actsparse_last_error(), "options.row_begin = 32"), "message: %s", actsparse_last_error());
  o.row_begin = 0;
  o.x_type = (actsparse_dtype)9;
  CHECK(actsparse_gemv_ex(W, x, y, 0.0f, &o) == ACTSPARSE_ERROR_INVALID_ARGUMENT, "x_type 9 accepted");
  CHECK(contains(actsparse_last_error(), "options->x_type = 9"), "message: %s", actsparse_last_error());
  o.x_type = ACTSPARSE_F32;
  o.threads = -1;
  CHECK(actsparse_gemv_ex(W, x, y, 0.0f, &o) == ACTSPARSE_ERROR_INVALID_ARGUMENT, "threads -1 accepted");
  CHECK(contains(actsparse_last_error(), "options->threads = -1"), "message: %s", actsparse_last_error());
  o.threads = 0;
  o.precision = (actsparse_precision)7;
  CHECK(actsparse_gemv_dense_ex(W, x, y, &o) == ACTSPARSE_ERROR_INVALID_ARGUMENT, "precision 7 accepted");
  CHECK(contains(actsparse_last_error(), "options->precision = 7") && contains(actsparse_last_error(), "ACTSPARSE_INT8"),
        "message: %s", actsparse_last_error());
  for (size_t n = 0; n < N; ++n) CHECK(y[n] == 42.0f, "y[%zu] written by a failed _ex call", n);
}

/* actsparse_pack_ex: ACTSPARSE_QUANT_MLX packs what actsparse_pack packs (W, dequantized,
 * bit for bit); ACTSPARSE_QUANT_MSE dequantizes closer to w (squared error summed in
 * double over the matrix). */
static void check_quantizers(const actsparse_matrix* W, const float* w, size_t N, size_t K, int bits) {
  float* a = malloc(N * K * sizeof *a);
  float* b = malloc(N * K * sizeof *b);
  actsparse_matrix *M = NULL, *S = NULL;
  CHECK(actsparse_pack_ex(w, ACTSPARSE_F32, N, K, bits, 64, ACTSPARSE_QUANT_MLX, &M) == ACTSPARSE_OK, "pack_ex mlx: %s",
        actsparse_last_error());
  CHECK(actsparse_pack_ex(w, ACTSPARSE_F32, N, K, bits, 64, ACTSPARSE_QUANT_MSE, &S) == ACTSPARSE_OK, "pack_ex mse: %s",
        actsparse_last_error());
  if (M && S) {
    CHECK(actsparse_dequantize(W, a) == ACTSPARSE_OK && actsparse_dequantize(M, b) == ACTSPARSE_OK, "dequantize");
    CHECK(memcmp(a, b, N * K * sizeof *a) == 0, "bits=%d: pack_ex ACTSPARSE_QUANT_MLX differs from pack", bits);
    CHECK(actsparse_dequantize(S, b) == ACTSPARSE_OK, "dequantize mse");
    double e_mlx = 0, e_mse = 0;
    for (size_t i = 0; i < N * K; ++i) {
      e_mlx += ((double)a[i] - w[i]) * ((double)a[i] - w[i]);
      e_mse += ((double)b[i] - w[i]) * ((double)b[i] - w[i]);
    }
    CHECK(e_mse < e_mlx, "bits=%d: ACTSPARSE_QUANT_MSE error %g not below MLX's %g", bits, e_mse, e_mlx);
  }
  actsparse_free(M);
  actsparse_free(S);
  free(a);
  free(b);
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "--bad-env") == 0) return bad_env();

  const size_t N = 256, K = 200, m = 3;
  float* w = malloc(N * K * sizeof *w);
  for (size_t i = 0; i < N * K; ++i) w[i] = 0.05f * uniform();
  float x[200], X[3 * 200];
  for (size_t k = 0; k < K; ++k) x[k] = (k % 3 == 0) ? uniform() : 0.0f; /* 2/3 zeros */
  for (size_t i = 0; i < m * K; ++i) X[i] = (i % 2 == 0) ? uniform() : 0.0f;
  size_t terms = 0;
  for (size_t k = 0; k < K; ++k) terms += x[k] != 0.0f;

  printf("actsparse %s, instruction set %s\n", actsparse_version(), actsparse_isa());

  for (int bits = 2; bits <= 8; ++bits) {
    if (bits == 7) continue;
    actsparse_matrix* W = NULL;
    actsparse_status st = actsparse_pack(w, ACTSPARSE_F32, N, K, bits, 64, &W);
    CHECK(st == ACTSPARSE_OK && W != NULL, "pack bits=%d: %s", bits, actsparse_last_error());
    if (!W) continue;
    CHECK(actsparse_rows(W) == N && actsparse_cols(W) == K && actsparse_bits(W) == bits &&
              actsparse_group_size(W) == 64,
          "shape accessors");
    CHECK(actsparse_bytes(W) == K * actsparse_strip_bytes(W), "bytes");

    double y_ref[256], mag[256];
    oracle(W, x, y_ref, mag);
    float y[256], yd[256], ys[256], Y[3 * 256];
    uint32_t idx[200];
    size_t nnz = 0;
    CHECK(actsparse_gemv(W, x, y, 0.0f) == ACTSPARSE_OK, "gemv: %s", actsparse_last_error());
    expect_near(y, y_ref, mag, N, terms, "gemv");
    CHECK(actsparse_gemv_dense(W, x, yd) == ACTSPARSE_OK, "gemv_dense: %s", actsparse_last_error());
    CHECK(memcmp(y, yd, sizeof y) == 0, "bits=%d: gemv and gemv_dense differ", bits);
    CHECK(actsparse_find_active(x, K, 0.0f, idx, &nnz) == ACTSPARSE_OK, "find_active: %s", actsparse_last_error());
    CHECK(nnz == terms, "find_active found %zu of %zu", nnz, terms);
    for (size_t i = 0; i < nnz; ++i) CHECK(x[idx[i]] != 0.0f && (i == 0 || idx[i] > idx[i - 1]), "idx[%zu]", i);
    CHECK(actsparse_gemv_sparse(W, x, idx, nnz, ys) == ACTSPARSE_OK, "gemv_sparse: %s", actsparse_last_error());
    CHECK(memcmp(y, ys, sizeof y) == 0, "bits=%d: gemv and gemv_sparse differ", bits);
    CHECK(actsparse_gemm(W, X, m, Y, 0.0f) == ACTSPARSE_OK, "gemm: %s", actsparse_last_error());
    for (size_t r = 0; r < m; ++r) {
      CHECK(actsparse_gemv(W, X + r * K, y, 0.0f) == ACTSPARSE_OK, "gemv row");
      CHECK(memcmp(y, Y + r * N, sizeof y) == 0, "bits=%d: gemm row %zu differs from gemv", bits, r);
    }
    check_ex(W, x, N, K, bits);
    check_quantizers(W, w, N, K, bits);

    /* Thread count does not change y. */
    CHECK(actsparse_set_threads(1) == ACTSPARSE_OK, "set_threads");
    CHECK(actsparse_gemv(W, x, ys, 0.0f) == ACTSPARSE_OK, "gemv 1 thread");
    CHECK(actsparse_set_threads(0) == ACTSPARSE_OK, "set_threads");
    CHECK(memcmp(yd, ys, sizeof ys) == 0, "bits=%d: 1 thread differs", bits);

    /* Panels: the same products bit for bit, on 1 and 2 threads. N = 256 is 4 groups. */
    {
      actsparse_matrix* P = NULL;
      CHECK(actsparse_split_panels(W, 3, &P) == ACTSPARSE_OK && P != NULL, "split_panels: %s", actsparse_last_error());
      CHECK(actsparse_panels(P) == 3 && actsparse_panels(W) == 0, "panels %zu", actsparse_panels(P));
      CHECK(actsparse_rows(P) == N && actsparse_cols(P) == K && actsparse_bits(P) == bits &&
                actsparse_group_size(P) == 64 && actsparse_bytes(P) == K * actsparse_strip_bytes(P),
            "panel matrix shape");
      float yp[256];
      for (int threads = 1; threads <= 2; ++threads) {
        CHECK(actsparse_set_threads(threads) == ACTSPARSE_OK, "set_threads");
        CHECK(actsparse_gemv(P, x, yp, 0.0f) == ACTSPARSE_OK, "gemv on panels: %s", actsparse_last_error());
        CHECK(memcmp(yd, yp, sizeof yp) == 0, "bits=%d: gemv on panels differs", bits);
        CHECK(actsparse_gemv_dense(P, x, yp) == ACTSPARSE_OK, "gemv_dense on panels");
        CHECK(memcmp(yd, yp, sizeof yp) == 0, "bits=%d: gemv_dense on panels differs", bits);
        CHECK(actsparse_gemv_sparse(P, x, idx, nnz, yp) == ACTSPARSE_OK, "gemv_sparse on panels");
        CHECK(memcmp(yd, yp, sizeof yp) == 0, "bits=%d: gemv_sparse on panels differs", bits);
        float YP[3 * 256];
        CHECK(actsparse_gemm(P, X, m, YP, 0.0f) == ACTSPARSE_OK, "gemm on panels: %s", actsparse_last_error());
        CHECK(memcmp(Y, YP, sizeof YP) == 0, "bits=%d: gemm on panels differs", bits);
      }
      CHECK(actsparse_set_threads(0) == ACTSPARSE_OK, "set_threads");
      check_dequantize(W, P);
      uint32_t wq[200 * 256 / 4];
      uint16_t sc[200 * 4], bi[200 * 4];
      CHECK(actsparse_to_mlx(P, wq, sc, bi) == ACTSPARSE_ERROR_INVALID_ARGUMENT, "to_mlx took a panel matrix");
      CHECK(contains(actsparse_last_error(), "W is a panel matrix"), "message: %s", actsparse_last_error());
      actsparse_free(P);
    }

    /* MLX round trip: export, import, same product bit for bit. */
    if (bits == 4) {
      uint32_t* wq = malloc(K * N * 4 / 32 * sizeof *wq);
      uint16_t s[200 * 4], b[200 * 4];
      CHECK(actsparse_to_mlx(W, wq, s, b) == ACTSPARSE_OK, "to_mlx");
      actsparse_matrix* M = NULL;
      CHECK(actsparse_from_mlx(wq, s, b, ACTSPARSE_F16, N, K, 4, 64, &M) == ACTSPARSE_OK, "from_mlx: %s",
            actsparse_last_error());
      CHECK(actsparse_gemv(M, x, ys, 0.0f) == ACTSPARSE_OK, "gemv from_mlx");
      CHECK(memcmp(yd, ys, sizeof ys) == 0, "from_mlx(to_mlx(W)) computes a different product");
      actsparse_free(M);
      free(wq);
    }

    /* NaN and Inf propagate as in a dense product. */
    if (bits == 8) {
      float xn[200];
      memcpy(xn, x, sizeof xn);
      xn[1] = NAN;
      CHECK(actsparse_gemv(W, xn, y, 0.0f) == ACTSPARSE_OK, "gemv NaN");
      for (size_t n = 0; n < N; ++n) CHECK(isnan(y[n]), "y[%zu] = %g with a NaN input", n, y[n]);
    }
    actsparse_free(W);
  }

  /* Errors: status, a message naming the parameter and its legal values, nothing written. */
  actsparse_matrix* W = (actsparse_matrix*)0x1; /* must stay as it is */
  CHECK(actsparse_pack(w, ACTSPARSE_F32, N, K, 7, 64, &W) == ACTSPARSE_ERROR_INVALID_ARGUMENT, "bits=7 accepted");
  CHECK(contains(actsparse_last_error(), "bits = 7") && contains(actsparse_last_error(), "2, 3, 4, 5, 6, 8"),
        "message: %s", actsparse_last_error());
  CHECK(W == (actsparse_matrix*)0x1, "out written on failure");
  CHECK(actsparse_pack(w, ACTSPARSE_F32, N, K, 4, 48, &W) == ACTSPARSE_ERROR_INVALID_ARGUMENT, "group 48 accepted");
  CHECK(contains(actsparse_last_error(), "group_size = 48"), "message: %s", actsparse_last_error());
  CHECK(actsparse_pack(w, (actsparse_dtype)9, N, K, 4, 64, &W) == ACTSPARSE_ERROR_INVALID_ARGUMENT, "dtype 9");
  CHECK(contains(actsparse_last_error(), "type = 9"), "message: %s", actsparse_last_error());
  CHECK(actsparse_pack_ex(w, ACTSPARSE_F32, N, K, 4, 64, (actsparse_quantizer)7, &W) == ACTSPARSE_ERROR_INVALID_ARGUMENT,
        "quantizer 7 accepted");
  CHECK(contains(actsparse_last_error(), "quantizer = 7") && contains(actsparse_last_error(), "ACTSPARSE_QUANT_MSE"),
        "message: %s", actsparse_last_error());
  CHECK(W == (actsparse_matrix*)0x1, "out written on failure");
  CHECK(actsparse_pack(w, ACTSPARSE_F32, N, K, 4, 64, NULL) == ACTSPARSE_ERROR_INVALID_ARGUMENT, "out NULL");
  CHECK(contains(actsparse_last_error(), "out is null"), "message: %s", actsparse_last_error());
  W = NULL;
  CHECK(actsparse_pack(w, ACTSPARSE_F32, N, K, 4, 64, &W) == ACTSPARSE_OK, "pack");
  float y[256];
  for (size_t n = 0; n < N; ++n) y[n] = 42.0f;
  uint32_t bad[2] = {3, (uint32_t)K};
  CHECK(actsparse_gemv_sparse(W, x, bad, 2, y) == ACTSPARSE_ERROR_INVALID_ARGUMENT, "idx out of range");
  CHECK(contains(actsparse_last_error(), "idx[1] = 200"), "message: %s", actsparse_last_error());
  CHECK(actsparse_gemv(W, x, y, -1.0f) == ACTSPARSE_ERROR_INVALID_ARGUMENT, "threshold -1");
  CHECK(contains(actsparse_last_error(), "threshold"), "message: %s", actsparse_last_error());
  actsparse_matrix* P = (actsparse_matrix*)0x1;
  CHECK(actsparse_split_panels(W, 0, &P) == ACTSPARSE_ERROR_INVALID_ARGUMENT, "0 panels accepted");
  CHECK(contains(actsparse_last_error(), "panels = 0") && contains(actsparse_last_error(), "legal values are 1 to"),
        "message: %s", actsparse_last_error());
  CHECK(actsparse_split_panels(W, 5, &P) == ACTSPARSE_ERROR_INVALID_ARGUMENT, "5 panels of 4 groups accepted");
  CHECK(P == (actsparse_matrix*)0x1, "out written on failure");
  CHECK(actsparse_split_panels(NULL, 2, &P) == ACTSPARSE_ERROR_INVALID_ARGUMENT, "W NULL split");
  CHECK(actsparse_split_panels(W, 2, NULL) == ACTSPARSE_ERROR_INVALID_ARGUMENT, "out NULL split");
  CHECK(contains(actsparse_last_error(), "out is null"), "message: %s", actsparse_last_error());
  CHECK(actsparse_gemv(NULL, x, y, 0.0f) == ACTSPARSE_ERROR_INVALID_ARGUMENT, "W NULL");
  CHECK(contains(actsparse_last_error(), "W is null"), "message: %s", actsparse_last_error());
  CHECK(actsparse_gemv(W, NULL, y, 0.0f) == ACTSPARSE_ERROR_INVALID_ARGUMENT, "x NULL");
  CHECK(contains(actsparse_last_error(), "x is null"), "message: %s", actsparse_last_error());
  CHECK(actsparse_dequantize(NULL, w) == ACTSPARSE_ERROR_INVALID_ARGUMENT, "dequantize W NULL");
  CHECK(contains(actsparse_last_error(), "dequantize: W is null"), "message: %s", actsparse_last_error());
  CHECK(actsparse_dequantize(W, NULL) == ACTSPARSE_ERROR_INVALID_ARGUMENT, "dequantize w_out NULL");
  CHECK(contains(actsparse_last_error(), "dequantize: w_out is null"), "message: %s", actsparse_last_error());
  CHECK(actsparse_gemv_dense(W, w, w + 100) == ACTSPARSE_ERROR_INVALID_ARGUMENT, "y overlapping x accepted");
  CHECK(contains(actsparse_last_error(), "overlaps x"), "message: %s", actsparse_last_error());
  for (size_t n = 0; n < N; ++n) CHECK(y[n] == 42.0f, "y[%zu] written by a failed call", n);
  size_t nnz = 77;
  CHECK(actsparse_find_active(x, K, NAN, (uint32_t*)y, &nnz) == ACTSPARSE_ERROR_INVALID_ARGUMENT, "NaN threshold");
  CHECK(nnz == 77, "nnz written on failure");
  CHECK(actsparse_set_threads(-1) == ACTSPARSE_ERROR_INVALID_ARGUMENT, "threads -1");
  CHECK(actsparse_set_isa("avx-512") == ACTSPARSE_ERROR_INVALID_ARGUMENT, "bad ISA name");
  CHECK(contains(actsparse_last_error(), "legal values are auto, scalar"), "message: %s", actsparse_last_error());
#if defined(__x86_64__)
  CHECK(actsparse_set_isa("neon") == ACTSPARSE_ERROR_UNSUPPORTED, "neon on x86");
#else
  CHECK(actsparse_set_isa("avx2") == ACTSPARSE_ERROR_UNSUPPORTED, "avx2 on arm");
#endif
  CHECK(actsparse_set_isa("scalar") == ACTSPARSE_OK && strcmp(actsparse_isa(), "scalar") == 0, "force scalar");
  CHECK(actsparse_set_isa("auto") == ACTSPARSE_OK, "back to auto");
  CHECK(strcmp(actsparse_status_name(ACTSPARSE_ERROR_UNSUPPORTED), "ACTSPARSE_ERROR_UNSUPPORTED") == 0, "names");
  CHECK(strcmp(actsparse_status_name((actsparse_status)99), "unknown actsparse_status") == 0, "unknown status");
  CHECK(actsparse_pack(w, (actsparse_dtype)-1, N, K, 4, 64, &W) == ACTSPARSE_ERROR_INVALID_ARGUMENT, "dtype -1");
  actsparse_free(W);
  actsparse_free(NULL);
  free(w);

  if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
  else printf("all checks passed\n");
  return failures == 0 ? 0 : 1;
}
