// actsparse/memory.hpp: aligned (and, for large buffers, huge-page) allocation, and the
// small owning array the kernels use instead of standard containers.
//
// Why not std::vector<float> or std::vector<std::uint32_t> in the kernels: their member
// functions carry no actsparse name, so two translation units built with different -m
// flags would share them (config.hpp), and the linker would keep one copy for both.
// detail::buffer<T> lives in the ISA namespace, so each flag set has its own.
#pragma once

#include "config.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

ACTSPARSE_NAMESPACE_BEGIN

// The cache line: 128 bytes on aarch64 (Apple M-series P-cores), 64 on x86.
#if defined(__aarch64__)
inline constexpr std::size_t kCacheLine = 128;
#else
inline constexpr std::size_t kCacheLine = 64;
#endif

namespace detail {

// Buffers of at least this size are 2 MiB aligned and, on Linux, asked for transparent huge
// pages (MADV_HUGEPAGE; the default THP mode "madvise" gives none otherwise). A sparse
// product touches scattered strips, about one 4 KiB page each, so with small pages nearly
// every strip costs a TLB miss (docs/performance.md, "Issue 4", section 4).
inline constexpr std::size_t kHugePageMin = std::size_t{4} << 20;
inline constexpr std::size_t kHugePage = std::size_t{2} << 20;

// At least `bytes` (rounded up to the alignment) from std::aligned_alloc, kCacheLine
// aligned, or huge-page aligned and advised from kHugePageMin up. Release with std::free.
inline void* aligned_pages(std::size_t bytes, std::size_t* size_out = nullptr) {
  const std::size_t align = bytes >= kHugePageMin ? kHugePage : kCacheLine;
  const std::size_t size = (bytes + align - 1) / align * align;
  void* p = std::aligned_alloc(align, size == 0 ? align : size);
  if (p == nullptr) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (align == kHugePage) madvise(p, size, MADV_HUGEPAGE);  // a hint: failure only costs speed
#endif
  if (size_out != nullptr) *size_out = size;
  return p;
}

// Frees what aligned_zeroed allocated; a borrowed buffer (packed_matrix::borrow) is not ours.
struct aligned_free {
  bool owned = true;
  void operator()(std::uint8_t* p) const {
    if (owned) std::free(p);
  }
};

inline std::unique_ptr<std::uint8_t, aligned_free> aligned_zeroed(std::size_t bytes) {
  std::size_t size = 0;
  auto* p = static_cast<std::uint8_t*>(aligned_pages(bytes, &size));
  std::memset(p, 0, size);
  return std::unique_ptr<std::uint8_t, aligned_free>(p);
}

// n elements of a trivial type T, aligned as aligned_pages aligns, uninitialised unless a
// fill value is given. Move-only.
template <class T>
class buffer {
 public:
  buffer() = default;
  explicit buffer(std::size_t n) : n_(n), p_(n ? static_cast<T*>(aligned_pages(n * sizeof(T))) : nullptr) {}
  buffer(std::size_t n, T fill) : buffer(n) {
    for (std::size_t i = 0; i < n; ++i) p_[i] = fill;
  }
  buffer(buffer&& o) noexcept : n_(o.n_), p_(o.p_) {
    o.n_ = 0;
    o.p_ = nullptr;
  }
  buffer& operator=(buffer&& o) noexcept {
    if (this != &o) {
      std::free(p_);
      n_ = o.n_;
      p_ = o.p_;
      o.n_ = 0;
      o.p_ = nullptr;
    }
    return *this;
  }
  buffer(const buffer&) = delete;
  buffer& operator=(const buffer&) = delete;
  ~buffer() { std::free(p_); }

  T* data() { return p_; }
  const T* data() const { return p_; }
  std::size_t size() const { return n_; }
  T& operator[](std::size_t i) { return p_[i]; }
  const T& operator[](std::size_t i) const { return p_[i]; }

 private:
  std::size_t n_ = 0;
  T* p_ = nullptr;
};

}  // namespace detail
ACTSPARSE_NAMESPACE_END  // namespace actsparse
