// tests/test_unpack.cpp: unpack.hpp. unpack_chunk of this binary's ISA against get_code,
// the scalar reader of the same bit stream (format.hpp), for every width, at every chunk
// of a random stream, the last one ending on the buffer's tail padding.
#include "test_common.hpp"

#include <cstring>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#include <unistd.h>
#endif

using namespace actsparse;
using namespace actsparse_test;

#if !defined(ACTSPARSE_TEST_DISPATCH)
namespace {

template <int Bits>
void check_width() {
  if constexpr (simd::kHaveSimd) {
    using A = test_arch;
    constexpr std::size_t C = simd::kChunk<A>, V = simd::kLanes<A>;
    constexpr std::size_t chunks = 37;
    const std::size_t bytes = chunks * C * Bits / 8;
    std::vector<std::uint8_t> stream(bytes + kTailPad, 0);
    std::mt19937 rng(Bits);
    for (std::size_t i = 0; i < bytes; ++i) stream[i] = static_cast<std::uint8_t>(rng());
    for (std::size_t c = 0; c < chunks; ++c) {
      xsimd::batch<std::int32_t, A> out[C / V];
      simd::unpack_chunk<Bits, A>(stream.data() + c * C * Bits / 8, out, A{});
      alignas(64) std::int32_t lanes[C];
      for (std::size_t r = 0; r < C / V; ++r) out[r].store_aligned(lanes + r * V);
      for (std::size_t i = 0; i < C; ++i)
        ASSERT_EQ(static_cast<std::uint32_t>(lanes[i]), detail::get_code(stream.data(), c * C + i, Bits))
            << "bits " << Bits << " chunk " << c << " code " << i;
    }
  }
}

}  // namespace

TEST(Unpack, EveryWidthMatchesGetCode) {
  check_width<2>();
  check_width<3>();
  check_width<4>();
  check_width<5>();
  check_width<6>();
  check_width<8>();
}

// load_halves_head reads the first n fp16 values and nothing past them: n values end at a
// page followed by an inaccessible one (a read past them faults), for every n < V; the
// lanes equal half_to_float (the scalar conversion), the rest are 0. The kernels load a
// strip's last biases with it so that a sparse pass never touches the next strip.
#if defined(__unix__) || defined(__APPLE__)
TEST(Halves, HeadLoadReadsNothingPastTheLastValue) {
  if constexpr (simd::kHaveSimd) {
    using A = test_arch;
    constexpr std::size_t V = simd::kLanes<A>;
    const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    void* m = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(m, MAP_FAILED);
    auto* base = static_cast<std::uint8_t*>(m);
    ASSERT_EQ(mprotect(base + page, page, PROT_NONE), 0);
    std::mt19937 rng(11);
    for (std::size_t n = 1; n < V; ++n) {
      auto* h = reinterpret_cast<std::uint16_t*>(base + page) - n;
      for (std::size_t i = 0; i < n; ++i) h[i] = static_cast<std::uint16_t>(rng() & 0x7bffu);  // finite halves
      alignas(64) float lanes[V];
      simd::load_halves_head<A>(h, n, A{}).store_aligned(lanes);
      for (std::size_t i = 0; i < V; ++i)
        ASSERT_EQ(lanes[i], i < n ? half_to_float(h[i]) : 0.0f) << "n " << n << " lane " << i;
    }
    munmap(m, 2 * page);
  }
}
#endif

// put_code and get_code agree with each other on every position of a stream.
TEST(Unpack, PutAndGetCodeRoundTrip) {
  for (int bits : kBits) {
    const std::size_t n = 257;
    std::vector<std::uint8_t> s(n * 8 / 8 + 16, 0);
    std::vector<std::uint32_t> codes(n);
    std::mt19937 rng(static_cast<std::uint32_t>(bits));
    for (std::size_t i = 0; i < n; ++i) {
      codes[i] = rng() & ((1u << bits) - 1u);
      detail::put_code(s.data(), i, bits, codes[i]);
    }
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(detail::get_code(s.data(), i, bits), codes[i]) << bits << " " << i;
  }
}
#endif
