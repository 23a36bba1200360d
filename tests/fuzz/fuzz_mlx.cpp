// tests/fuzz/fuzz_mlx.cpp: libFuzzer target for the two entry points that take a caller's
// buffers with a caller's shape (include/actsparse/format.hpp): from_mlx (MLX's wq, scales
// and biases) and packed_matrix::borrow (packed strips in place).
//
// Input: a 20-byte header, then the buffers.
//   byte 0 bits, byte 1 group size (raw: any value, legal or not), byte 2 the scales' type
//   (% 3: f16, f32, bf16), byte 3 bit 0 = give borrow a buffer one byte past an aligned start,
//   bytes 4-11 rows, bytes 12-19 cols (little-endian uint64); the rest, the payload.
// Both functions document that the caller provides buffers of the sizes the shape implies,
// so the target only calls them with legal parameters when the payload holds those sizes:
// from_mlx gets wq, scales and biases cut from the payload, each in its own exact-size heap
// block; borrow gets the payload in a kStripAlign-aligned exact-size block (ASan sees any
// read past either). With illegal parameters (bits, group, a shape that is not a multiple of
// the group, 0, cols >= 2^32, a misaligned buffer) they are called with whatever the input
// holds and must throw actsparse::error before reading anything. An accepted matrix is
// checked against the input (to_mlx gives back wq and the fp16 scales and biases; from_mlx
// refuses exactly the scales outside fp16's range) and, up to 2^16 weights, dequantized and
// multiplied (gemv_dense, whose loads reach kTailPad past the last strip). A crash, a
// sanitizer report, another exception type or a broken check (__builtin_trap) is a finding.
#include <actsparse/format.hpp>
#include <actsparse/mlx.hpp>
#include <actsparse/gemv.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "fuzz_common.hpp"

namespace {

constexpr std::size_t kHeader = 20;
constexpr std::size_t kMaxWeights = std::size_t{1} << 16;

using fuzz::check;

std::uint64_t u64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// An exact-size heap block (malloc's 16-byte alignment suits uint32 and float) or one
// starting `skew` bytes past a kStripAlign boundary.
struct block {
  void* base = nullptr;
  std::uint8_t* data = nullptr;
  block(const std::uint8_t* src, std::size_t size, std::size_t align, std::size_t skew) {
    if (posix_memalign(&base, align, size + skew + (size + skew == 0)) != 0) std::abort();
    data = static_cast<std::uint8_t*>(base) + skew;
    if (size != 0) std::memcpy(data, src, size);
  }
  ~block() { std::free(base); }
};

// a * b + c without overflow, or false.
bool fits(std::uint64_t a, std::uint64_t b, std::uint64_t c, std::uint64_t* out) {
  std::uint64_t ab;
  return !__builtin_mul_overflow(a, b, &ab) && !__builtin_add_overflow(ab, c, out);
}

using fuzz::refused;

void multiply(const actsparse::packed_matrix& W) {
  if (W.rows() * W.cols() > kMaxWeights) return;
  std::vector<float> w(W.rows() * W.cols()), x(W.cols(), 1.0f), y(W.rows());
  actsparse::dequantize(W, w.data());
  actsparse::gemv_dense(W, x.data(), y.data());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < kHeader) return 0;
  const actsparse::quant_config cfg{data[0], data[1]};
  const actsparse::element_type types[] = {actsparse::element_type::f16, actsparse::element_type::f32,
                                           actsparse::element_type::bf16};
  const actsparse::element_type type = types[data[2] % 3];
  const std::size_t esize = type == actsparse::element_type::f32 ? 4 : 2;
  const bool skew = data[3] & 1;
  const std::uint64_t rows = u64(data + 4), cols = u64(data + 12);
  const std::uint8_t* payload = data + kHeader;
  const std::size_t n = size - kHeader;
  const bool legal = actsparse::detail::legal_bits(cfg.bits) && actsparse::detail::legal_group(cfg.group_size) &&
                     rows != 0 && rows % static_cast<std::uint64_t>(cfg.group_size) == 0 && cols != 0 &&
                     cols <= 0xffffffffu;

  // from_mlx: wq [cols][rows * bits / 32] uint32, scales and biases [cols][rows / group].
  {
    std::uint64_t wq_bytes = 0, groups = 0, sb_bytes = 0, total = 0;
    const bool sized = legal && fits(cols, rows / 8 * static_cast<std::uint64_t>(cfg.bits), 0, &wq_bytes) &&
                       fits(cols, rows / static_cast<std::uint64_t>(cfg.group_size), 0, &groups) &&
                       fits(groups, esize, 0, &sb_bytes) &&
                       fits(sb_bytes, 2, wq_bytes, &total) && total <= n;
    if (!legal) {
      const block buf(payload, n, 16, 0);
      check(refused([&] { (void)actsparse::from_mlx(reinterpret_cast<const std::uint32_t*>(buf.data), buf.data,
                                                    buf.data, rows, cols, cfg, type); }));
    } else if (sized) {
      const block wq(payload, wq_bytes, 16, 0), scales(payload + wq_bytes, sb_bytes, 16, 0),
          biases(payload + wq_bytes + sb_bytes, sb_bytes, 16, 0);
      const std::size_t count = sb_bytes / esize;
      bool in_range = true;  // from_mlx must refuse non-fp16 scales or biases fp16 cannot hold
      if (type != actsparse::element_type::f16)
        for (const block* b : {&scales, &biases})
          for (std::size_t i = 0; i < count; ++i)
            in_range = in_range && std::abs(actsparse::detail::load_element(b->data, type, i)) <= 65504.0f;
      actsparse::packed_matrix W;
      const bool no = refused([&] {
        W = actsparse::from_mlx(reinterpret_cast<const std::uint32_t*>(wq.data), scales.data, biases.data, rows, cols,
                                cfg, type);
      });
      check(no != in_range);
      if (!no) {
        std::vector<std::uint8_t> wq_back(wq_bytes);
        std::vector<std::uint16_t> s_back(count), b_back(count);
        actsparse::to_mlx(W, reinterpret_cast<std::uint32_t*>(wq_back.data()), s_back.data(), b_back.data());
        check(std::memcmp(wq_back.data(), wq.data, wq_bytes) == 0);
        for (std::size_t i = 0; i < count; ++i) {
          const auto want = [&](const block& b) {
            return type == actsparse::element_type::f16
                       ? reinterpret_cast<const std::uint16_t*>(b.data)[i]
                       : actsparse::float_to_half(actsparse::detail::load_element(b.data, type, i));
          };
          check(s_back[i] == want(scales) && b_back[i] == want(biases));
        }
        multiply(W);
      }
    }
  }

  // borrow: cols strips of the payload rounded up to kStripAlign, then kTailPad bytes.
  {
    const block buf(payload, n, actsparse::kStripAlign, skew);
    const auto view = [&] { return actsparse::packed_matrix::borrow(buf.data, rows, cols, cfg); };
    if (!legal || skew) {
      check(refused(view));
      return 0;
    }
    const std::uint64_t payload_bytes = rows / 8 * static_cast<std::uint64_t>(cfg.bits) +
                                        4 * (rows / static_cast<std::uint64_t>(cfg.group_size));
    const std::uint64_t stride = (payload_bytes + actsparse::kStripAlign - 1) / actsparse::kStripAlign * actsparse::kStripAlign;
    std::uint64_t need = 0;
    if (!fits(cols, stride, actsparse::kTailPad, &need) || need > n) return 0;
    const actsparse::packed_matrix W = view();
    check(W.data() == buf.data && !W.owns_data() && W.bytes() == cols * stride);
    multiply(W);
    const actsparse::packed_matrix copy = W;  // an owning copy reads bytes()
    check(copy.owns_data() && std::memcmp(copy.data(), W.data(), W.bytes()) == 0);
  }
  return 0;
}
