// bench/micro/lut4.cpp: actsparse-lut4, what bounds the AVX-512 4-bit look-up kernel.
//
// The inner loop of micro_group_lut_bytes (include/actsparse/gemv.hpp) on cache-resident
// codes, beside variants that change how the 4-bit indices reach vpermps and loops that
// keep only some of its instructions. 2048 outputs x 256 strips (256 KiB of codes, in L2),
// 4 strips per pass as in the kernel; Gweights/s, median of 15 timings of 50 calls.
//
//   current   16 code bytes -> vpmovzxbd; vpermps, shift by 4, vpermps, 2 adds (32 weights)
//   words     32 code bytes -> vpmovzxwd; 4 x (shift, vpermps, add) (64 weights)
//   wide      64 code bytes loaded as is: 8 x (shift, vpermps, add) (128 weights; a chunk
//             spans 2 groups of 64, so it would serve g128 only)
//   perm+add  indices loaded from memory, no shifts: vpermps and add only
//   shift+add no vpermps: shifts and adds only
//   add       loads and adds only
//
// Usage: actsparse-lut4
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#if defined(__AVX512F__)
#include <immintrin.h>

namespace {

constexpr int kN = 2048, kS = 256, kU = 4;
alignas(64) std::uint8_t codes[kS][kN / 2];
alignas(64) float acc[kN];
float scale[kS];

void tables(const float* a, __m512* t) {
  const __m512 code = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  for (int u = 0; u < kU; ++u) t[u] = _mm512_mul_ps(_mm512_set1_ps(a[u]), code);
}

const __m512i* at(int s, int c) { return reinterpret_cast<const __m512i*>(codes[s] + c / 2); }

// Chunk of R x 16 outputs; body(u, c, y) adds strip s + u's products into y[0..R).
template <int R, class Body>
__attribute__((noinline)) void sweep(Body body) {
  for (int s = 0; s < kS; s += kU) {
    __m512 t[kU];
    tables(scale + s, t);
    for (int c = 0; c < kN; c += 16 * R) {
      __m512 y[R];
      for (int r = 0; r < R; ++r) y[r] = _mm512_load_ps(acc + c + 16 * r);
      for (int u = 0; u < kU; ++u) body(s + u, c, t[u], y);
      for (int r = 0; r < R; ++r) _mm512_store_ps(acc + c + 16 * r, y[r]);
    }
  }
}

void current() {
  sweep<2>([](int s, int c, __m512 t, __m512* y) {
    const __m512i b = _mm512_cvtepu8_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(at(s, c))));
    y[0] = _mm512_add_ps(y[0], _mm512_permutexvar_ps(b, t));
    y[1] = _mm512_add_ps(y[1], _mm512_permutexvar_ps(_mm512_srli_epi32(b, 4), t));
  });
}
void words() {
  sweep<4>([](int s, int c, __m512 t, __m512* y) {
    const __m512i b = _mm512_cvtepu16_epi32(_mm256_load_si256(reinterpret_cast<const __m256i*>(at(s, c))));
    y[0] = _mm512_add_ps(y[0], _mm512_permutexvar_ps(b, t));
    for (int r = 1; r < 4; ++r) y[r] = _mm512_add_ps(y[r], _mm512_permutexvar_ps(_mm512_srli_epi32(b, 4 * r), t));
  });
}
void wide() {
  sweep<8>([](int s, int c, __m512 t, __m512* y) {
    const __m512i b = _mm512_load_si512(at(s, c));
    y[0] = _mm512_add_ps(y[0], _mm512_permutexvar_ps(b, t));
    for (int r = 1; r < 8; ++r) y[r] = _mm512_add_ps(y[r], _mm512_permutexvar_ps(_mm512_srli_epi32(b, 4 * r), t));
  });
}
void perm_add() {
  sweep<8>([](int s, int c, __m512 t, __m512* y) {
    for (int r = 0; r < 8; ++r) y[r] = _mm512_add_ps(y[r], _mm512_permutexvar_ps(_mm512_load_si512(at((s + r) % kS, c)), t));
  });
}
void shift_add() {
  sweep<8>([](int s, int c, __m512 t, __m512* y) {
    const __m512i b = _mm512_load_si512(at(s, c));
    y[0] = _mm512_add_ps(y[0], _mm512_castsi512_ps(b));
    for (int r = 1; r < 8; ++r) y[r] = _mm512_add_ps(y[r], _mm512_castsi512_ps(_mm512_srli_epi32(b, 4 * r)));
    (void)t;
  });
}
void add_only() {
  sweep<8>([](int s, int c, __m512 t, __m512* y) {
    const __m512 b = _mm512_castsi512_ps(_mm512_load_si512(at(s, c)));
    for (int r = 0; r < 8; ++r) y[r] = _mm512_add_ps(y[r], _mm512_add_ps(b, t));
  });
}

double gweights(void (*f)()) {
  std::vector<double> t;
  for (int r = 0; r < 15; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 50; ++i) f();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / 50);
  }
  std::sort(t.begin(), t.end());
  return double(kN) * kS / t[t.size() / 2] / 1e9;
}

}  // namespace

int main() {
  std::mt19937 rng(1);
  for (auto& strip : codes)
    for (auto& b : strip) b = static_cast<std::uint8_t>(rng());
  for (auto& a : scale) a = 1e-7f * static_cast<float>(rng() % 100);
  const struct {
    const char* name;
    void (*f)();
  } rows[] = {{"current", current}, {"words", words}, {"wide", wide},
              {"perm+add", perm_add}, {"shift+add", shift_add}, {"add", add_only}};
  std::printf("actsparse-lut4: %d outputs x %d strips of 4-bit codes, cache-resident, 1 thread\n", kN, kS);
  for (const auto& r : rows) std::printf("%-10s %7.2f Gweights/s\n", r.name, gweights(r.f));
  float sum = 0;
  for (float v : acc) sum += v;
  return sum == -1.0f ? 1 : 0;  // keeps the sums alive
}
#else
int main() {
  std::fprintf(stderr, "actsparse-lut4: built without AVX-512 (it times AVX-512 look-up loops)\n");
  return 2;
}
#endif
