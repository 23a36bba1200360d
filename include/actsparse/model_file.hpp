// actsparse/model_file.hpp: a file of packed matrices that a runtime maps without a copy.
//
// Converting a GGUF model (gguf.hpp) dequantizes and requantizes every weight: seconds for
// a small model, minutes for a large one. `actsparse convert` does it once and writes the
// packed strips as they lie in memory; loading maps the file, checks its checksum, and
// hands out packed_matrix::borrow views into the mapping. docs/model-file.md describes the
// layout byte by byte:
//
//   [ header: 48 bytes ] [ tensor table ] [ zero padding to kDataAlign ]
//   [ tensor 0's bytes ] [ zero padding to kDataAlign ] [ tensor 1's bytes ] ...
//
// Each tensor's data starts on a kDataAlign (4096) boundary, so a view is aligned for any
// kStripAlign, and at least kTailPad zero bytes follow it (the kernels' over-read). The
// strips keep the writer's kStripAlign; a reader built with another (x86 64, aarch64 128)
// gets an owned copy with its own stride instead of a view.
#pragma once

#include "config.hpp"

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "error.hpp"
#include "format.hpp"
#include "mapped_file.hpp"

ACTSPARSE_NAMESPACE_BEGIN

inline constexpr char kModelMagic[8] = {'A', 'S', 'P', 'K', 'M', 'O', 'D', 'L'};
inline constexpr std::uint32_t kModelVersion = 1;
inline constexpr std::uint64_t kDataAlign = 4096;
static_assert(kDataAlign % kStripAlign == 0, "tensor data must start on a strip boundary");

namespace detail {

// The file's checksum: four lanes of 64-bit words, each lane mixed by multiply and rotate,
// then folded with the byte count. Not cryptographic: it catches truncation, bit rot and
// a half-written file. About 10 GB/s, so checking costs little next to mapping.
inline std::uint64_t checksum64(const std::uint8_t* p, std::size_t n) {
  constexpr std::uint64_t kP1 = 0x9e3779b185ebca87ull, kP2 = 0xc2b2ae3d27d4eb4full;
  auto rotl = [](std::uint64_t x, int r) { return (x << r) | (x >> (64 - r)); };
  auto round = [&](std::uint64_t h, std::uint64_t w) { return rotl(h + w * kP2, 31) * kP1; };
  std::uint64_t h[4] = {kP1, kP2, ~kP1, ~kP2};
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32)
    for (int l = 0; l < 4; ++l) {
      std::uint64_t w;
      std::memcpy(&w, p + i + 8 * l, 8);
      h[l] = round(h[l], w);
    }
  std::uint64_t r = static_cast<std::uint64_t>(n) * kP1;
  for (int l = 0; l < 4; ++l) r = round(r ^ rotl(h[l], 7 * l + 1), static_cast<std::uint64_t>(l));
  for (; i < n; ++i) r = round(r, p[i]);
  r ^= r >> 29;
  r *= kP1;
  return r ^ (r >> 32);
}

inline std::uint64_t align_up(std::uint64_t v, std::uint64_t a) { return (v + a - 1) / a * a; }

}  // namespace detail

// What a model file holds: packed matrices, and fp32 vectors (norm weights and the like).
struct model_tensor {
  std::string name;
  const packed_matrix* matrix = nullptr;  // either this,
  const float* values = nullptr;          // or `count` floats
  std::size_t count = 0;
};

// Writes the tensors to `path` through a temporary file in the same folder, renamed into
// place when complete: an interrupted write leaves the old file or none, never half of one.
inline void write_model_file(const std::string& path, const std::vector<model_tensor>& tensors) {
  const char* where = "write_model_file";
  struct row {
    std::uint32_t kind, bits, group;
    std::uint64_t rows, cols, offset, bytes;
  };
  std::vector<row> rows;
  std::map<std::string, int> seen;
  std::uint64_t table = 0;
  for (const auto& t : tensors) {
    if (t.name.empty() || t.name.size() > 4096) detail::fail(where, "tensor name '", t.name, "' must be 1 to 4096 bytes");
    if (seen[t.name]++) detail::fail(where, "tensor '", t.name, "' is listed twice");
    if ((t.matrix == nullptr) == (t.values == nullptr))
      detail::fail(where, "tensor '", t.name, "': give either a matrix or values");
    if (t.matrix != nullptr && t.matrix->empty()) detail::fail(where, "tensor '", t.name, "': the matrix is empty");
    if (t.values != nullptr && t.count == 0) detail::fail(where, "tensor '", t.name, "': count is 0");
    table += detail::align_up(4 + t.name.size(), 8) + 48;
  }
  std::uint64_t offset = detail::align_up(48 + table, kDataAlign);
  for (const auto& t : tensors) {
    row r{};
    if (t.matrix != nullptr) {
      r = {0, static_cast<std::uint32_t>(t.matrix->bits()), static_cast<std::uint32_t>(t.matrix->group_size()),
           t.matrix->rows(), t.matrix->cols(), offset, t.matrix->bytes()};
    } else {
      r = {1, 0, 0, 1, t.count, offset, t.count * sizeof(float)};
    }
    rows.push_back(r);
    offset = detail::align_up(offset + r.bytes + kTailPad, kDataAlign);
  }
  const std::uint64_t file_bytes = offset;

  // Built in memory: the whole file is needed for its checksum anyway, and the tools that
  // write models hold the matrices in memory already.
  std::vector<std::uint8_t> buf(file_bytes, 0);
  auto put = [&](std::uint64_t at, const void* p, std::size_t n) { std::memcpy(buf.data() + at, p, n); };
  std::uint32_t u32;
  std::uint64_t u64;
  put(0, kModelMagic, 8);
  put(8, &kModelVersion, 4);
  u32 = static_cast<std::uint32_t>(kStripAlign);
  put(12, &u32, 4);
  u64 = tensors.size();
  put(16, &u64, 8);
  u64 = detail::align_up(48 + table, kDataAlign);
  put(24, &u64, 8);
  put(32, &file_bytes, 8);
  std::uint64_t at = 48;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const auto& t = tensors[i];
    const row& r = rows[i];
    u32 = static_cast<std::uint32_t>(t.name.size());
    put(at, &u32, 4);
    put(at + 4, t.name.data(), t.name.size());
    at += detail::align_up(4 + t.name.size(), 8);
    put(at, &r.kind, 4);
    put(at + 4, &r.bits, 4);
    put(at + 8, &r.group, 4);
    u32 = 0;
    put(at + 12, &u32, 4);
    put(at + 16, &r.rows, 8);
    put(at + 24, &r.cols, 8);
    put(at + 32, &r.offset, 8);
    put(at + 40, &r.bytes, 8);
    at += 48;
    put(r.offset, t.matrix != nullptr ? static_cast<const void*>(t.matrix->data()) : t.values, r.bytes);
  }
  u64 = detail::checksum64(buf.data() + 48, buf.size() - 48);
  put(40, &u64, 8);

  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) detail::fail(where, "cannot write '", tmp, "': ", std::strerror(errno));
  const bool ok = std::fwrite(buf.data(), 1, buf.size(), f) == buf.size();
  if (std::fclose(f) != 0 || !ok) {
    std::remove(tmp.c_str());
    detail::fail(where, "cannot write '", tmp, "' (disk full?)");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    std::remove(tmp.c_str());
    detail::fail(where, "cannot rename '", tmp, "' to '", path, "': ", std::strerror(e));
  }
}

// A model file, mapped read-only (or borrowed from memory) and checked. Views it hands out
// point into the mapping or the buffer: keep this object (and the buffer) alive while they
// are in use.
class model_file {
 public:
  struct entry {
    std::string name;
    bool packed = true;        // a packed matrix; else fp32 values
    quant_config cfg{};        // packed only
    std::uint64_t rows = 0, cols = 0;  // fp32: rows = 1, cols = the count
    std::uint64_t offset = 0, bytes = 0;
  };

  // Maps `path`. verify = false skips the checksum (for a file known to be good: the
  // checksum reads every byte once).
  explicit model_file(const std::string& path, bool verify = true) : path_(path) {
    const detail::mapped_file m = detail::map_readonly(path, "model_file");
    map_ = m.keep;
    base_ = m.data;
    size_ = m.size;
    parse(verify);
  }

  // The same checks on a file already in memory (read by the caller, embedded, or a fuzzer's
  // input): `data` is borrowed, not copied, and must outlive this object and its views.
  // `name` stands for the path in messages. Views need a kStripAlign-aligned buffer (a
  // mapping is page-aligned): on a misaligned one, matrix() and values() throw; a matrix
  // whose strips need re-striding (another kStripAlign) is copied from any buffer.
  static model_file from_memory(const void* data, std::size_t size, const std::string& name = "<memory>",
                                bool verify = true) {
    model_file f;
    f.path_ = name;
    if (data == nullptr && size != 0) f.fail("data is null");
    f.base_ = static_cast<const std::uint8_t*>(data);
    f.size_ = size;
    f.parse(verify);
    return f;
  }

  const std::vector<entry>& tensors() const { return entries_; }
  bool has(const std::string& name) const { return index_.count(name) != 0; }
  const entry& find(const std::string& name) const {
    const auto it = index_.find(name);
    if (it == index_.end()) fail("tensor '" + name + "' is not in the file");
    return entries_[it->second];
  }
  std::uint32_t strip_align() const { return strip_align_; }

  // A packed matrix: a view into the mapping when the file's strip alignment is this
  // build's kStripAlign, else an owned copy re-strided to it.
  packed_matrix matrix(const std::string& name) const {
    const entry& e = find(name);
    if (!e.packed) fail("tensor '" + name + "' holds fp32 values, not a packed matrix");
    if (strip_align_ == kStripAlign) {
      check_view(name);
      return packed_matrix::borrow(base_ + e.offset, e.rows, e.cols, e.cfg);
    }
    packed_matrix W(e.rows, e.cols, e.cfg);
    const std::size_t stride = e.bytes / e.cols;
    for (std::size_t k = 0; k < e.cols; ++k)
      std::memcpy(W.strip(k), base_ + e.offset + k * stride, std::min(stride, W.strip_bytes()));
    return W;
  }

  // fp32 values (count = entry.cols), pointing into the mapping.
  const float* values(const std::string& name) const {
    const entry& e = find(name);
    if (e.packed) fail("tensor '" + name + "' is a packed matrix; use matrix()");
    check_view(name);
    return reinterpret_cast<const float*>(base_ + e.offset);
  }

 private:
  model_file() = default;  // from_memory

  [[noreturn]] void fail(const std::string& what) const { detail::fail("model_file", path_, ": ", what); }

  // Tensor data sits at multiples of kDataAlign from the start, so an aligned start is enough.
  void check_view(const std::string& name) const {
    if (reinterpret_cast<std::uintptr_t>(base_) % kStripAlign != 0)
      fail("tensor '" + name + "': the buffer is not aligned to kStripAlign = " + std::to_string(kStripAlign) +
           " bytes, so it cannot be viewed in place (copy it to an aligned buffer)");
  }

  void parse(bool verify) {
    auto u32 = [&](std::uint64_t at) {
      std::uint32_t v;
      std::memcpy(&v, base_ + at, 4);
      return v;
    };
    auto u64 = [&](std::uint64_t at) {
      std::uint64_t v;
      std::memcpy(&v, base_ + at, 8);
      return v;
    };
    if (size_ < 48) fail("only " + std::to_string(size_) + " bytes; a model file has a 48-byte header (truncated?)");
    if (std::memcmp(base_, kModelMagic, 8) != 0) fail("not an actsparse model file (magic is not ASPKMODL)");
    if (u32(8) != kModelVersion)
      fail("version " + std::to_string(u32(8)) + " is not supported; this build reads version " +
           std::to_string(kModelVersion));
    strip_align_ = u32(12);
    if (strip_align_ != 64 && strip_align_ != 128)
      fail("strip alignment " + std::to_string(strip_align_) + " at byte offset 12 is not 64 or 128");
    const std::uint64_t n = u64(16), data = u64(24), file_bytes = u64(32);
    if (file_bytes != size_)
      fail("the header says " + std::to_string(file_bytes) + " bytes but the file has " + std::to_string(size_) +
           " (truncated or appended to)");
    if (verify && detail::checksum64(base_ + 48, size_ - 48) != u64(40))
      fail("checksum mismatch: the file is damaged; convert the model again");
    if (data > size_ || data < 48) fail("data offset " + std::to_string(data) + " at byte offset 24 is out of range");
    if (n > (data - 48) / 56) fail("tensor count " + std::to_string(n) + " at byte offset 16 does not fit the table");
    std::uint64_t at = 48;
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::string field = "tensor " + std::to_string(i) + " at byte offset " + std::to_string(at);
      if (data - at < 4) fail(field + ": the table runs into the data");
      const std::uint32_t len = u32(at);
      const std::uint64_t next = at + detail::align_up(4 + std::uint64_t{len}, 8);
      if (len == 0 || next + 48 > data) fail(field + ": name length " + std::to_string(len) + " runs past the table");
      entry e;
      e.name.assign(reinterpret_cast<const char*>(base_ + at + 4), len);
      at = next;
      const std::uint32_t kind = u32(at);
      e.packed = kind == 0;
      e.cfg = {static_cast<int>(u32(at + 4)), static_cast<int>(u32(at + 8))};
      e.rows = u64(at + 16);
      e.cols = u64(at + 24);
      e.offset = u64(at + 32);
      e.bytes = u64(at + 40);
      at += 48;
      if (kind > 1) fail(field + " '" + e.name + "': kind " + std::to_string(kind) + " is not 0 (packed) or 1 (fp32)");
      if (index_.count(e.name)) fail(field + ": duplicate tensor name '" + e.name + "'");
      if (e.offset % kDataAlign != 0 || e.offset < data || e.offset > size_ || e.bytes > size_ - e.offset ||
          size_ - e.offset - e.bytes < kTailPad)
        fail(field + " '" + e.name + "': data [" + std::to_string(e.offset) + ", +" + std::to_string(e.bytes) +
             ") is misaligned or runs past the end of the file");
      if (e.packed) {
        if (!detail::legal_bits(e.cfg.bits) || !detail::legal_group(e.cfg.group_size) || e.rows == 0 || e.cols == 0 ||
            e.rows % static_cast<std::uint64_t>(e.cfg.group_size) != 0 || e.cols > 0xffffffffu)
          fail(field + " '" + e.name + "': bits " + std::to_string(e.cfg.bits) + ", group " +
               std::to_string(e.cfg.group_size) + ", shape " + std::to_string(e.rows) + " x " + std::to_string(e.cols) +
               " is not a packed matrix");
        // The strip stride the writer used.
        const std::uint64_t stride = detail::strip_stride(e.rows, e.cfg, strip_align_);
        if (e.bytes / e.cols != stride || e.bytes % e.cols != 0)
          fail(field + " '" + e.name + "': " + std::to_string(e.bytes) + " bytes do not match its shape");
      } else if (e.rows != 1 || e.bytes % sizeof(float) != 0 || e.bytes / sizeof(float) != e.cols) {
        fail(field + " '" + e.name + "': " + std::to_string(e.bytes) + " bytes do not match " +
             std::to_string(e.cols) + " fp32 values");
      }
      index_.emplace(e.name, entries_.size());
      entries_.push_back(std::move(e));
    }
  }

  std::string path_;
  std::shared_ptr<const void> map_;
  const std::uint8_t* base_ = nullptr;
  std::size_t size_ = 0;
  std::uint32_t strip_align_ = 0;
  std::vector<entry> entries_;
  std::map<std::string, std::size_t> index_;
};

ACTSPARSE_NAMESPACE_END  // namespace actsparse
