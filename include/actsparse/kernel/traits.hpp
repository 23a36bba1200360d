// actsparse/kernel/traits.hpp: one traits table per instruction-set family (BLIS's per-arch
// contexts): what the family can do (capability flags), the block sizes of the kernels,
// and the crossover rules the public entry points apply. Every number carries the
// measurement behind it, or says that it was not measured on that family and is inherited.
//
// arch_traits<A> maps an xsimd arch to its family's table; the kernels read nothing else.
// The families: scalar (xsimd::unavailable, the reference twins), sse4 (SSE4.1/4.2, no
// FMA), avx2 (AVX2 with or without FMA3), avx512 (AVX-512 F/BW and up), neon (aarch64),
// other (anything else xsimd knows, and `void` for tools that want the defaults).
#pragma once

#include "../config.hpp"

#include <cstddef>
#include <type_traits>

#include "../xsimd_compat.hpp"

ACTSPARSE_NAMESPACE_BEGIN
namespace simd {

enum class isa_family { scalar, sse4, avx2, avx512, neon, other };

// xsimd declares every arch tag whatever the compiler flags (only the registers need them),
// so a unit built without AVX-512 still names the avx512 family's table: the tests of the
// dispatching library ask it how the library's AVX-512 kernels round.
template <class A>
constexpr isa_family family_of() {
  if constexpr (std::is_same<A, xsimd::unavailable>::value) {
    return isa_family::scalar;
  } else if constexpr (std::is_base_of<xsimd::avx512bw, A>::value) {
    return isa_family::avx512;
  } else if constexpr (std::is_base_of<xsimd::avx2, A>::value) {
    return isa_family::avx2;
  } else if constexpr (std::is_base_of<xsimd::sse4_1, A>::value && !std::is_base_of<xsimd::avx, A>::value) {
    return isa_family::sse4;
  } else if constexpr (std::is_base_of<xsimd::neon64, A>::value) {
    return isa_family::neon;
  } else {
    return isa_family::other;
  }
}

// The defaults every family starts from. The figures are from the development machine of
// the first releases (Zen 4 class, AVX-512, 2 cores, 508 MiB L3); a family that has not
// re-measured one says "inherited" below.
struct traits_defaults {
  // ---- capabilities
  // Products by table look-up (vpermps over 16 products of one strip's scale: 2- and 4-bit
  // codes, and 3-bit where AVX512_VBMI's byte permute gathers the codes): AVX-512 only.
  static constexpr bool kLut2 = false, kLut3 = false, kLut4 = false;
  // 4-bit codes split by one AND and one shift (NEON only).
  static constexpr bool kNibbles4 = false;

  // ---- block sizes (gemv and the batched kernel share one strip pass, strip_pass.hpp)
  // Outputs per tile of a one-row pass: 16384 fp32 accumulators = 64 KiB, in L2 (in L1 on
  // Apple P-cores). Each tile walks the whole active list and reads its slice of every
  // strip, so smaller tiles turn a tall matrix's strips into scattered 2 KiB reads:
  // measured on 14336 x 4096, 4-bit, streamed, 1 thread (actsparse-demo), 4096-output
  // tiles (L1) took 1.73 ms dense and 1.02 ms at 50% sparsity, 16384-output tiles 1.62 and
  // 0.86 ms; hot, the two are within noise.
  static constexpr std::size_t kTileOutputs = 16384;
  // Active strips applied per load/store of a tile's accumulators.
  static constexpr std::size_t kStripsPerPass = 4;
  // Software prefetch this many passes ahead (scattered strips defeat the HW prefetcher).
  static constexpr std::size_t kPrefetchPasses = 2;
  // Sparse passes over short strips (strip_bytes() at most kSweepStripBytes, a tile of
  // whole strips) prefetch differently: each pass prefetches the whole listed strips
  // kSweepPasses passes ahead, and also every strip between two listed ones less than
  // kSweepGapBytes apart, so memory sees one stream in address order (strip_pass.hpp).
  // Measured on AMD EPYC (cpu family 25, model 17: Zen 4), 32 MiB L3, 4-bit g32, streamed,
  // 1 thread, us per call (medians of 31 x 2000 calls over a 1.25 GiB pool): 576 x 1536
  // (384-byte strips) at 25 / 50 / 70 / 90% sparsity, the spread scheme 55.8 / 49.9 / 37.6 /
  // 14.8 (dense 52-55); whole listed strips only 53.5 / 51.7 / 38.1 / 15.7; gaps up to 384
  // bytes 46.3 / 46.3 / 36.1 / 15.6; up to 1152 bytes 44.4 / 37.6 / 32.3 / 15.9; every strip
  // 42.5 / 34.7 / 31.5 / 30.3. 4 passes ahead beat 2 (41.9 against 50.3 at 25%, every
  // strip); 8 no better than 4. Then, spread against sweep, 25 / 50%: 576 x 576 26.7 / 20.8
  // against 16.6 / 14.2 (dense 21.8); 192 x 576 (128-byte strips) 7.3 / 9.6 against 7.4 /
  // 5.4 (dense 7.6). 1536 x 576 (1 KiB strips) lost with the sweep (35.7 / 26.2 against 43.9
  // / 33.2), hence 512; dense passes (no gaps, the hardware prefetcher follows them) lost 8%
  // on 192 x 576 and keep the spread scheme.
  static constexpr std::size_t kSweepStripBytes = 512;
  static constexpr std::size_t kSweepGapBytes = 1152;
  static constexpr std::size_t kSweepPasses = 4;
  // Weights (outputs x strips x rows) a thread should have before another thread pays for
  // its fork/join cost (a few microseconds). Re-measured on AMD EPYC (cpu family 25, model
  // 17: Zen 4), 32 MiB L3, 4-bit g32, hot, exact, the rule switched off (both threads
  // always run), 1-thread / 2-thread time (medians of 7, docs/performance.md, "Small
  // calls: the per-call cost, and one thread or two"): 0.95-1.05 at 18-37 K weights per
  // thread, 0.80-0.98 at 55 K (192 x 576: 6 groups), 0.97-1.14 at 74 K, 1.15-1.38 at
  // 83-166 K. So 64 K.
  static constexpr std::size_t kMinWeightsPerThread = std::size_t{1} << 16;
  // The same for the int8 mode's integer-dot kernels (int8.hpp, has_int8_kernel), which run
  // each weight in about half the time; the generic int8 pass (the other widths and
  // families, about the exact kernels' speed) keeps kMinWeightsPerThread.
  static constexpr std::size_t kMinInt8WeightsPerThread = kMinWeightsPerThread;
  // Dense calls: code bytes of each strip a thread should read at least. Threads split the
  // outputs, so p threads read p slices of every strip side by side; slices this short
  // stream worse than one thread reading whole strips. Measured (2 cores, `actsparse-demo N
  // 4096 4 64 1280 25`, streamed, medians of 25): N = 1024 (256-byte slices on 2 threads)
  // took 0.184 ms dense on 2 threads against 0.111-0.116 on 1; N = 2048 (512-byte slices)
  // 0.170-0.181 on 2 against 0.211-0.230 on 1. Sparse calls read scattered strips either
  // way and gained from the second thread at N = 1024 (0.086-0.093 ms at 50% against
  // 0.109-0.111), so the rule is for dense calls only.
  static constexpr std::size_t kMinDenseSliceBytes = 512;
  // Batches: rows held at once; larger batches are processed kGemmMaxRows rows at a time.
  // 4 rows with 1024-output tiles (16 KiB of accumulators, in L1) beat 64 rows with
  // L2-sized tiles by 1.3-3x per token for m = 4..64 (docs/performance.md, "Batches").
  static constexpr std::size_t kGemmMaxRows = 4;
  // Accumulator floats per batched tile (rows x outputs): 16 KiB, in L1. Tiles in L2
  // (128 KiB) were 3x slower at 64 rows: each 4-strip pass then moves one line per 2 FMAs.
  static constexpr std::size_t kGemmTileFloats = 4096;

  // ---- crossover rules
  // Active fraction below which gemv() takes the sparse path. Both paths give bitwise the
  // same y, so this only moves time. Measured with the look-up kernels and huge pages
  // (docs/performance.md, "The gemv() dense/sparse rule"; 4-bit g64, streamed, medians of
  // 25): sparse/dense at 10% sparsity was 0.98x (4096 x 14336, 1 thread), 1.04x (2
  // threads), 1.11x and 1.06x (14336 x 4096); at 20%, 1.07x and 1.05x (4096 x 14336); at 0-5%
  // it was 0.78-1.01x. Hot, sparse wins from 0%. So: sparse from 15% sparsity on.
  static constexpr double kSparseBelowActiveFraction = 0.85;
  // gemm(): the batch runs as one batched call when it has at least kGemmBatchedMinRows
  // rows and their mean active fraction is above kGemmBatchedAbove (kGemmBatchedAbove8
  // from 8 rows on); otherwise one gemv per row. The defaults are the rule measured before
  // the batched kernel shared gemv's strip pass (docs/performance.md, "Batches"); the
  // families below that re-measured it say so, the others (neon, other) inherit it.
  static constexpr std::size_t kGemmBatchedMinRows = 4;
  static constexpr double kGemmBatchedAbove = 0.9, kGemmBatchedAbove8 = 0.75;
};

template <isa_family F>
struct family_traits : traits_defaults {};

// Scalar twins: one output at a time; no block sizes apply. Rules inherited.
template <>
struct family_traits<isa_family::scalar> : traits_defaults {};

// SSE4.1/4.2 (no FMA: each product is rounded, then added). Block sizes and the gemv rule
// inherited: not measured on this family.
// The batched-or-per-row rule re-measured on the shared strip pass: AMD EPYC (cpu family
// 25, model 17: Zen 4), 32 MiB L3, 4096 x 14336, 4-bit g64, streamed, 1 thread, per token,
// batched / m gemv calls (medians of 3; `actsparse-bench --shapes 4096x14336 --threads 1
// --mode stream --batch 1,2,3,4,8,16 --sparsity 0,10,25,50,90`, the bench built with each
// family's flags). Dense rows, m = 1 / 2 / 3 / 4 / 8:
// SSE4.2 1.07 / 0.85 / 0.70 / 0.65 / 0.66 (m = 1 is gemv's own pass: noise). Rows 10% sparse
// (union of the rows 0.99-1.00 active), m = 2 / 4 / 8: 0.89-0.92 / 0.76-0.77 / 0.71-0.72;
// 25% sparse: 1.02 / 0.85-0.91 / 0.85-0.87. So from 2 rows above 80% active, from 8 rows
// above 70%.
template <>
struct family_traits<isa_family::sse4> : traits_defaults {
  static constexpr std::size_t kGemmBatchedMinRows = 2;
  static constexpr double kGemmBatchedAbove = 0.8, kGemmBatchedAbove8 = 0.7;
};

// AVX2 (+FMA3): unpack, convert, FMA. Block sizes and the gemv rule inherited: not
// re-measured on this family since gemv and gemm share the strip pass.
// The batched rule, measured as for SSE4 above: dense rows 1.01 / 0.75 / 0.65 / 0.59 / 0.60;
// 10% sparse, m = 2 / 4 / 8: 0.82-0.96 / 0.69-0.80 / 0.80; 25% sparse: 0.96-1.04 /
// 0.88-0.98 / 0.96-1.35 (noisy); 50% sparse rows lose batched (1.0-1.17). So from 2 rows
// above 80% active.
template <>
struct family_traits<isa_family::avx2> : traits_defaults {
  static constexpr std::size_t kGemmBatchedMinRows = 2;
  static constexpr double kGemmBatchedAbove = 0.8, kGemmBatchedAbove8 = 0.8;
};

// AVX-512 F/BW: the look-up products. Measured on the development machine (Zen 4 class,
// `actsparse-demo 4096 14336 B 64`, dense, 1 thread, hot): 4-bit 2.11 -> 1.34 ms, 2-bit
// 2.1 -> 1.50 ms against unpack + convert + FMA. 2-bit needs groups of 64 or more (a look-up
// chunk is 64 outputs). 3-bit only with AVX512_VBMI (vpermb gathers its 12-bit runs; Ice
// Lake, Sapphire Rapids, Zen 4), groups of 64 or more. Tried and left out: 3-bit through
// the general unpack without its mask, then vpermps: 2.39 ms against 2.10 for unpack + cvt
// + FMA. The 3-bit flag reads the compiler's macro, and so does the namespace the headers
// are compiled into (isa_namespace.hpp has an AVX512VBMI bit), so one symbol never names both
// algorithms.
template <>
struct family_traits<isa_family::avx512> : traits_defaults {
  // The batched rule, measured as for SSE4 above. The look-up products are per row, so a
  // batch shares only the scale products and the strip reads: dense rows 1.00 / 0.97 / 0.94
  // / 0.88 / 0.88; 10% sparse, m = 2 / 4 / 8: 1.03-1.06 / 0.96-0.97 / 0.99; 25% sparse
  // 1.18-1.33 at every m. So from 2 rows above 90% active, from 8 rows above 85%.
  static constexpr std::size_t kGemmBatchedMinRows = 2;
  static constexpr double kGemmBatchedAbove = 0.9, kGemmBatchedAbove8 = 0.85;
  static constexpr bool kLut2 = true, kLut4 = true;
  // The int8 kernel (int8_pass; measured at 4 bits, applied at every width it serves) on
  // two threads, measured as for kMinWeightsPerThread above, 1-thread / 2-thread time: 0.48-0.95 at 9-37 K weights per
  // thread, 0.79-1.00 at 55-74 K, 0.96 at 83 K, 1.07-1.20 at 166 K, 1.02-1.36 at 221-442 K:
  // each thread walks the whole block list and quantizes its groups, and its last
  // 128-output chunk is partly empty. So twice the exact kernels' 64 K.
  static constexpr std::size_t kMinInt8WeightsPerThread = 2 * (std::size_t{1} << 16);
#if defined(__AVX512VBMI__)
  static constexpr bool kLut3 = true;
#else
  static constexpr bool kLut3 = false;
#endif
};

// NEON (aarch64): 4-bit codes split into nibbles with one AND and one shift, about 31
// instructions per 32 weights against about 46 for the general unpack. The int8 mode, where
// the compiler targets DotProd (-march=armv8.2-a+dotprod or later, Apple M1 on): every
// width by sdot, 4 strips per instruction (kernel/int8.hpp). Tested under qemu only;
// block sizes, tile and rules inherited, none timed on Apple hardware.
template <>
struct family_traits<isa_family::neon> : traits_defaults {
  static constexpr bool kNibbles4 = true;
};

template <class A>
using arch_traits = family_traits<family_of<A>()>;

// The names earlier releases used for the same table.
template <class A>
using gemv_traits = arch_traits<A>;

// ---- What the kernels of (A, Bits, Group) do, derived from the table above.

// Whether the products come from look-up tables (AVX-512: 4-bit; 2- and 3-bit with groups
// of 64 or more, a look-up chunk being 64 outputs there).
template <class A>
constexpr bool lut_products(int bits, int group) {
  using T = arch_traits<A>;
  return (T::kLut4 && bits == 4) || (T::kLut2 && bits == 2 && group >= 64) || (T::kLut3 && bits == 3 && group >= 64);
}
template <class A, int Bits, int Group>
inline constexpr bool kLutProducts = lut_products<A>(Bits, Group);

// Whether arch A's simd::fma fuses (SSE4.x, AVX without FMA3 and 32-bit NEON multiply and
// add separately).
template <class A>
inline constexpr bool kArchFma =
    std::is_base_of<xsimd::fma3<xsimd::sse4_2>, A>::value || std::is_base_of<xsimd::fma3<xsimd::avx>, A>::value ||
    std::is_base_of<xsimd::fma3<xsimd::avx2>, A>::value || std::is_base_of<xsimd::avx512f, A>::value ||
    std::is_base_of<xsimd::neon64, A>::value;

// Whether the kernels of arch A compute each term as one fused multiply-add, or as a
// rounded product plus an add (look-up kernels, archs without FMA). The scalar twins
// (A = xsimd::unavailable) fuse; gemv_ref_impl can do either, for the tests.
template <class A>
constexpr bool fused_products(int bits, int group) {
  if constexpr (std::is_same<A, xsimd::unavailable>::value) {
    (void)bits;
    (void)group;
    return true;
  } else {
    return kArchFma<A> && !lut_products<A>(bits, group);
  }
}
template <class A, int Bits, int Group>
inline constexpr bool kFusedProducts = fused_products<A>(Bits, Group);

// Whether the NEON nibble kernel serves (A, Bits).
template <class A, int Bits>
inline constexpr bool kNeonNibbles = arch_traits<A>::kNibbles4 && Bits == 4;

// Codes per 32-bit lane in the look-up and nibble kernels: the accumulators of a chunk of
// 16 lanes hold outputs in "slot" order (acc_slot).
template <int Bits>
inline constexpr std::size_t kCodesPerLane = Bits == 3 ? 4 : 8 / Bits;

// Whether the kernels of (A, Bits, Group) keep the accumulators in slot order.
template <class A, int Bits, int Group>
inline constexpr bool kSlotOrder = kLutProducts<A, Bits, Group> || kNeonNibbles<A, Bits>;

// Where output n (relative to the tile) keeps its accumulator: in slot order, chunks of
// 16 code bytes, lane i of the shift-by-(r * Bits) vector holding output i * (8 / Bits) + r.
template <class A, int Bits, int Group>
inline std::size_t acc_slot(std::size_t n) {
  if constexpr (kSlotOrder<A, Bits, Group>) {
    constexpr std::size_t per_lane = kCodesPerLane<Bits>, chunk = 16 * per_lane;
    const std::size_t r = n % chunk;
    return n - r + (r % per_lane) * 16 + r / per_lane;
  } else {
    return n;
  }
}

}  // namespace simd
ACTSPARSE_NAMESPACE_END  // namespace actsparse
