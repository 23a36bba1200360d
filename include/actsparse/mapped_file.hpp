// actsparse/mapped_file.hpp: a whole file mapped read-only, shared by the file readers
// (gguf.hpp, model_file.hpp). Copies share the mapping; the last one unmaps it.
#pragma once

#include "config.hpp"

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "error.hpp"

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

ACTSPARSE_NAMESPACE_BEGIN
namespace detail {

struct mapped_file {
  std::shared_ptr<const void> keep;  // owns the mapping (empty for an empty file)
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;
};

// Maps `path`; a file that cannot be opened, is not a regular file or cannot be mapped is
// an actsparse::error from `where` naming the path and the system's reason.
inline mapped_file map_readonly(const std::string& path, const char* where) {
  mapped_file m;
#if defined(__unix__) || defined(__APPLE__)
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(where, "cannot open '", path, "': ", std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(where, "'", path, "' is not a regular file");
  }
  m.size = static_cast<std::size_t>(st.st_size);
  if (m.size > 0) {
    void* p = ::mmap(nullptr, m.size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int e = errno;
      ::close(fd);
      fail(where, "cannot map '", path, "': ", std::strerror(e));
    }
    m.keep = std::shared_ptr<const void>(p, [n = m.size](const void* q) { ::munmap(const_cast<void*>(q), n); });
    m.data = static_cast<const std::uint8_t*>(p);
  }
  ::close(fd);
#else
  (void)path;
  fail(where, "memory-mapping files is not implemented on this platform; read the file into memory and use from_memory");
#endif
  return m;
}

}  // namespace detail
ACTSPARSE_NAMESPACE_END  // namespace actsparse
