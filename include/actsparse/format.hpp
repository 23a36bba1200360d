// actsparse/format.hpp: the K-major packed weight format: its constants, the checks of a
// shape, the code bit stream, packed_matrix and panel_matrix. Packing into it is pack.hpp;
// MLX import and export, mlx.hpp.
//
// y = W x with W of N outputs (rows) by K inputs (cols). The packed matrix stores one strip
// per input channel k, holding everything column W[:, k] needs, so skipping an inactive
// input skips every byte that belongs to it (an input-major layout: a row-major block
// format interleaves every input's weights, so skipping one saves no memory traffic):
//
//   strip k = [ codes: N codes of `bits` each, little-endian bit stream, output n at bit n*bits ]
//             [ scales: N/g fp16 ] [ biases: N/g fp16 ] [ zero padding to kStripAlign ]
//
// The codes of one strip are byte for byte row k of MLX's packed W^T (mx.quantize(W.T)),
// so from_mlx/to_mlx are copies, and the default quantizer is MLX's (quantize.hpp; the
// opt-in quant_rule::mse searches each group's scale and bias for less error).
// docs/format.md describes it byte by byte and says why it looks this way.
//
// Bits per weight = bits + 32 / group_size, plus the strip padding (0 for N = 4096).
#pragma once

#include "config.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "error.hpp"
#include "memory.hpp"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "actsparse: the packed format and MLX interop assume a little-endian host"
#endif

ACTSPARSE_NAMESPACE_BEGIN

// How pack() chooses each group's scale and bias (quantize.hpp). The packed data is the same
// format either way and does not record the rule: a matrix imported from MLX or loaded from
// a model file reports `mlx`.
enum class quant_rule {
  mlx,  // MLX's affine rule, exactly (mx.quantize's codes, scales and biases)
  mse,  // searched: the fp16 scale and bias of least squared error among a few candidates
};

// "mlx" or "mse" (the spelling of the tools' --quantizer); anything else throws, naming
// `where` and the legal values.
inline quant_rule parse_quant_rule(const std::string& name, const char* where) {
  if (name == "mlx") return quant_rule::mlx;
  if (name == "mse") return quant_rule::mse;
  detail::fail(where, "quantizer '", name, "' is not known; legal values are mlx and mse");
}
inline const char* quant_rule_name(quant_rule r) { return r == quant_rule::mse ? "mse" : "mlx"; }

struct quant_config {
  int bits = 4;
  int group_size = 64;
  quant_rule rule = quant_rule::mlx;  // pack() only
};

// Source element types pack() accepts. Weights are converted to fp32 before quantizing,
// as MLX does.
enum class element_type { f32, f16, bf16 };

// Strips start on a cache-line boundary: 128 bytes on aarch64 (Apple M-series P-cores
// have 128-byte lines, so a strip never shares a line with its neighbour there), 64 on x86.
inline constexpr std::size_t kStripAlign = kCacheLine;

// The kernels read a little past the end of a strip's data: the unpack loads up to 16 bytes
// from the first code of a chunk, and the scale/bias conversion reads whole vectors of up to
// 16 fp16 values, at most 30 bytes past the last bias. The buffer carries this many zero
// bytes at the end so the last strip's over-reads stay inside it.
inline constexpr std::size_t kTailPad = 64;
static_assert(kTailPad >= 16 && kTailPad >= 2 * (16 - 1), "tail padding must cover the kernels' over-reads");

namespace detail {

// The one list of legal code widths and group sizes: the checks, their messages and the
// kernels' switch ladder (kernel/formats.hpp) all read it.
template <int... V>
struct int_list {
  static constexpr int values[] = {V...};
  static constexpr bool contains(int v) { return ((v == V) || ...); }
};
using legal_bits_list = int_list<2, 3, 4, 5, 6, 8>;
using legal_groups_list = int_list<32, 64, 128>;

// Prints a list as "2, 3, 4, 5, 6, 8" into an error message.
template <int... V>
inline std::ostream& operator<<(std::ostream& os, int_list<V...>) {
  const char* sep = "";
  for (int v : int_list<V...>::values) {
    os << sep << v;
    sep = ", ";
  }
  return os;
}

inline bool legal_bits(int b) { return legal_bits_list::contains(b); }
inline bool legal_group(int g) { return legal_groups_list::contains(g); }

// Bytes of one strip of `rows` outputs: the codes, then rows / g fp16 scales and as many fp16
// biases, rounded up to `align` (kStripAlign in memory; a model file records its writer's).
inline std::size_t strip_stride(std::size_t rows, quant_config cfg, std::size_t align) {
  const std::size_t payload = rows * static_cast<std::size_t>(cfg.bits) / 8 + 4 * (rows / static_cast<std::size_t>(cfg.group_size));
  return (payload + align - 1) / align * align;
}

inline void check_config(const char* where, quant_config cfg) {
  if (!legal_bits(cfg.bits))
    fail(where, "bits = ", cfg.bits, " is not supported; legal values are ", legal_bits_list{});
  if (!legal_group(cfg.group_size))
    fail(where, "group_size = ", cfg.group_size, " is not supported; legal values are ", legal_groups_list{});
  if (cfg.rule != quant_rule::mlx && cfg.rule != quant_rule::mse)
    fail(where, "rule = ", static_cast<int>(cfg.rule), " is not a quant_rule; legal values are mlx (0), mse (1)");
}

inline void check_shape(const char* where, std::size_t rows, std::size_t cols, quant_config cfg) {
  check_config(where, cfg);
  if (rows == 0) fail(where, "rows = 0; rows must be a positive multiple of group_size (", cfg.group_size, ")");
  if (cols == 0) fail(where, "cols = 0; cols must be positive");
  if (rows % static_cast<std::size_t>(cfg.group_size) != 0)
    fail(where, "rows = ", rows, " is not a multiple of group_size = ", cfg.group_size,
         "; quantization groups run along the rows (outputs) of each input's strip");
  if (cols > 0xffffffffu) fail(where, "cols = ", cols, " exceeds 2^32 - 1 (index lists are uint32)");
}

template <class T>
inline void check_ptr(const char* where, const char* name, const T* p) {
  if (p == nullptr) fail(where, name, " is null");
}

// Writes `code` (< 2^bits, bits <= 8) at bit offset n*bits of a zeroed little-endian stream.
inline void put_code(std::uint8_t* stream, std::size_t n, int bits, std::uint32_t code) {
  const std::size_t pos = n * static_cast<std::size_t>(bits);
  const std::uint32_t v = code << (pos & 7);
  stream[pos >> 3] |= static_cast<std::uint8_t>(v);
  if ((pos & 7) + static_cast<std::size_t>(bits) > 8) stream[(pos >> 3) + 1] |= static_cast<std::uint8_t>(v >> 8);
}

inline std::uint32_t get_code(const std::uint8_t* stream, std::size_t n, int bits) {
  const std::size_t pos = n * static_cast<std::size_t>(bits);
  std::uint32_t v = stream[pos >> 3];
  if ((pos & 7) + static_cast<std::size_t>(bits) > 8) v |= static_cast<std::uint32_t>(stream[(pos >> 3) + 1]) << 8;
  return (v >> (pos & 7)) & ((1u << bits) - 1u);
}

}  // namespace detail

// A packed weight matrix: owns one aligned buffer of cols() strips of strip_bytes() each.
class packed_matrix {
 public:
  packed_matrix() = default;

  // An all-zero matrix of the given shape (codes 0, scales and biases +0): the target of
  // pack() and from_mlx(), and of tools that fill strips themselves.
  packed_matrix(std::size_t rows, std::size_t cols, quant_config cfg) {
    detail::check_shape("packed_matrix", rows, cols, cfg);
    set_shape(rows, cols, cfg);
    data_ = detail::aligned_zeroed(bytes() + kTailPad);
  }

  packed_matrix(const packed_matrix& o) { *this = o; }
  packed_matrix& operator=(const packed_matrix& o) {
    if (this == &o) return *this;
    rows_ = o.rows_;
    cols_ = o.cols_;
    cfg_ = o.cfg_;
    codes_bytes_ = o.codes_bytes_;
    strip_bytes_ = o.strip_bytes_;
    data_.reset();
    if (o.data_) {
      data_ = detail::aligned_zeroed(bytes() + kTailPad);
      std::memcpy(data_.get(), o.data_.get(), bytes());
    }
    return *this;
  }
  packed_matrix(packed_matrix&&) noexcept = default;
  packed_matrix& operator=(packed_matrix&&) noexcept = default;

  // A view of packed strips the caller owns (a memory-mapped weight file, another
  // packed_matrix's data()): no copy, nothing freed. `data` must hold bytes() bytes in this
  // format followed by kTailPad readable bytes, start on a kStripAlign boundary, and outlive
  // the view. The kernels only read it; writing through a view of read-only memory is the
  // caller's mistake. Copying a view makes an owning copy.
  static packed_matrix borrow(const void* data, std::size_t rows, std::size_t cols, quant_config cfg) {
    detail::check_shape("packed_matrix::borrow", rows, cols, cfg);
    detail::check_ptr("packed_matrix::borrow", "data", data);
    if (reinterpret_cast<std::uintptr_t>(data) % kStripAlign != 0)
      detail::fail("packed_matrix::borrow", "data is not aligned to kStripAlign = ", kStripAlign, " bytes");
    packed_matrix W;
    W.set_shape(rows, cols, cfg);
    W.data_ = std::unique_ptr<std::uint8_t, detail::aligned_free>(
        static_cast<std::uint8_t*>(const_cast<void*>(data)), detail::aligned_free{false});
    return W;
  }
  // The same, told the buffer's length: refused unless `size` covers bytes() + kTailPad
  // (the overload above has to trust the caller on that).
  static packed_matrix borrow(const void* data, std::size_t size, std::size_t rows, std::size_t cols,
                              quant_config cfg) {
    packed_matrix W = borrow(data, rows, cols, cfg);
    if (size < W.bytes() + kTailPad)
      detail::fail("packed_matrix::borrow", "size = ", size, " bytes is too short; ", rows, " x ", cols, " at ",
                   cfg.bits, " bits, group ", cfg.group_size, " needs bytes() + kTailPad = ", W.bytes() + kTailPad);
    return W;
  }
  bool owns_data() const { return data_ != nullptr && data_.get_deleter().owned; }

  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  int bits() const { return cfg_.bits; }
  int group_size() const { return cfg_.group_size; }
  quant_config config() const { return cfg_; }
  bool empty() const { return data_ == nullptr; }

  std::size_t groups() const { return rows_ / static_cast<std::size_t>(cfg_.group_size); }
  std::size_t codes_bytes() const { return codes_bytes_; }  // per strip, before scales
  std::size_t strip_bytes() const { return strip_bytes_; }  // per strip, padded
  std::size_t bytes() const { return strip_bytes_ * cols_; }  // all strips

  const std::uint8_t* data() const { return data_.get(); }
  std::uint8_t* data() { return data_.get(); }
  const std::uint8_t* strip(std::size_t k) const { return data_.get() + k * strip_bytes_; }
  std::uint8_t* strip(std::size_t k) { return data_.get() + k * strip_bytes_; }
  const std::uint16_t* scales(std::size_t k) const {
    return reinterpret_cast<const std::uint16_t*>(strip(k) + codes_bytes_);
  }
  std::uint16_t* scales(std::size_t k) { return reinterpret_cast<std::uint16_t*>(strip(k) + codes_bytes_); }
  const std::uint16_t* biases(std::size_t k) const { return scales(k) + groups(); }
  std::uint16_t* biases(std::size_t k) { return scales(k) + groups(); }

  // Code of output n in strip k (slow; for tests and tools).
  std::uint32_t code(std::size_t k, std::size_t n) const { return detail::get_code(strip(k), n, cfg_.bits); }

 private:
  void set_shape(std::size_t rows, std::size_t cols, quant_config cfg) {
    rows_ = rows;
    cols_ = cols;
    cfg_ = cfg;
    codes_bytes_ = rows * static_cast<std::size_t>(cfg.bits) / 8;
    strip_bytes_ = detail::strip_stride(rows, cfg, kStripAlign);
  }

  std::size_t rows_ = 0, cols_ = 0;
  quant_config cfg_{};
  std::size_t codes_bytes_ = 0, strip_bytes_ = 0;
  std::unique_ptr<std::uint8_t, detail::aligned_free> data_;
};

// A packed matrix split by outputs into panels, one per thread: P packed_matrix row blocks
// of whole groups, each in its own buffer (panel p holds rows [first_row(p), first_row(p) +
// panel(p).rows()) of every strip). In a packed_matrix, p threads each read a 1/p slice of
// every strip, side by side with the other threads' slices; here each thread streams its
// own panels, contiguous strip after strip. The gemv functions give bitwise the same y
// for both (the same kernels add the same terms per output in the same order). Measured:
// docs/performance.md, "Panels".
class panel_matrix {
 public:
  panel_matrix() = default;

  // Copies W into `panels` row blocks: groups as evenly as they go (the first
  // groups % panels panels get one group more). 1 <= panels <= W.groups().
  panel_matrix(const packed_matrix& W, std::size_t panels) {
    const char* where = "panel_matrix";
    if (W.empty()) detail::fail(where, "W is empty (default-constructed or moved from)");
    if (panels == 0 || panels > W.groups())
      detail::fail(where, "panels = ", panels, " is out of range; legal values are 1 to W.groups() = ", W.groups(),
                   " (each panel holds whole groups of ", W.group_size(), " outputs)");
    rows_ = W.rows();
    cols_ = W.cols();
    const std::size_t G = W.groups(), g = static_cast<std::size_t>(W.group_size());
    for (std::size_t p = 0; p < panels; ++p) {
      const std::size_t g0 = G * p / panels, g1 = G * (p + 1) / panels;
      packed_matrix B((g1 - g0) * g, cols_, W.config());
      const std::size_t code_off = g0 * g * static_cast<std::size_t>(W.bits()) / 8;  // whole bytes: g >= 32
      const std::ptrdiff_t K = static_cast<std::ptrdiff_t>(cols_);
#pragma omp parallel for schedule(static)
      for (std::ptrdiff_t kk = 0; kk < K; ++kk) {
        const auto k = static_cast<std::size_t>(kk);
        std::memcpy(B.strip(k), W.strip(k) + code_off, B.codes_bytes());
        std::memcpy(B.scales(k), W.scales(k) + g0, (g1 - g0) * sizeof(std::uint16_t));
        std::memcpy(B.biases(k), W.biases(k) + g0, (g1 - g0) * sizeof(std::uint16_t));
      }
      panels_.push_back({std::move(B), g0 * g});
    }
  }

  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  std::size_t panels() const { return panels_.size(); }
  bool empty() const { return panels_.empty(); }
  int bits() const { return panels_.empty() ? 0 : panels_[0].matrix.bits(); }
  int group_size() const { return panels_.empty() ? 0 : panels_[0].matrix.group_size(); }
  quant_config config() const { return panels_.empty() ? quant_config{} : panels_[0].matrix.config(); }
  std::size_t bytes() const {
    std::size_t b = 0;
    for (const auto& P : panels_) b += P.matrix.bytes();
    return b;
  }
  // One input's strips over all panels: what a sparse call reads per active input. Each
  // panel's strip is padded to whole lines, so this can exceed the packed matrix's
  // strip_bytes() (1024 outputs at 4-bit g64 in 2 panels: 2 x 320 against 576).
  std::size_t strip_bytes() const {
    std::size_t b = 0;
    for (const auto& P : panels_) b += P.matrix.strip_bytes();
    return b;
  }

  const packed_matrix& panel(std::size_t p) const { return panels_[checked("panel_matrix::panel", p)].matrix; }
  std::size_t first_row(std::size_t p) const { return panels_[checked("panel_matrix::first_row", p)].first_row; }

 private:
  std::size_t checked(const char* where, std::size_t p) const {
    if (p >= panels_.size())
      detail::fail(where, "p = ", p, " is out of range; ",
                   panels_.empty() ? std::string("the matrix is empty")
                                   : "legal values are 0 to " + std::to_string(panels_.size() - 1));
    return p;
  }

  std::size_t rows_ = 0, cols_ = 0;
  // One vector of a type of ours: a std::vector<std::size_t> would be shared between
  // translation units built with different flags (memory.hpp).
  struct panel_rows {
    packed_matrix matrix;
    std::size_t first_row;
  };
  std::vector<panel_rows> panels_;
};

ACTSPARSE_NAMESPACE_END  // namespace actsparse
