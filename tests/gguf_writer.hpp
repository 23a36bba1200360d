// tests/gguf_writer.hpp: small GGUF files built byte by byte from the specification (ggml's
// docs/gguf.md), independent of gguf.hpp, for the reader's tests. It records where each
// field lies so a test can corrupt exactly one of them.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace actsparse_test {

struct gguf_bytes {
  std::vector<std::uint8_t> b;

  template <class T>
  std::size_t put(T v) {
    const std::size_t at = b.size();
    b.resize(at + sizeof(T));
    std::memcpy(b.data() + at, &v, sizeof(T));
    return at;
  }
  std::size_t str(const std::string& s) {
    const std::size_t at = put<std::uint64_t>(s.size());
    b.insert(b.end(), s.begin(), s.end());
    return at;
  }
  template <class T>
  void patch(std::size_t at, T v) {
    std::memcpy(b.data() + at, &v, sizeof(T));
  }
};

// GGUF value type codes.
enum : std::uint32_t { kU8, kI8, kU16, kI16, kU32, kI32, kF32, kBool, kString, kArray, kU64, kI64, kF64 };

struct gguf_kv {
  std::string key;
  std::function<void(gguf_bytes&)> value;  // writes the type code and the value
};

template <class T>
gguf_kv kv(const std::string& key, std::uint32_t type, T v) {
  return {key, [type, v](gguf_bytes& w) {
            w.put<std::uint32_t>(type);
            w.put<T>(v);
          }};
}
inline gguf_kv kv_string(const std::string& key, const std::string& v) {
  return {key, [v](gguf_bytes& w) {
            w.put<std::uint32_t>(kString);
            w.str(v);
          }};
}
inline gguf_kv kv_strings(const std::string& key, const std::vector<std::string>& v) {
  return {key, [v](gguf_bytes& w) {
            w.put<std::uint32_t>(kArray);
            w.put<std::uint32_t>(kString);
            w.put<std::uint64_t>(v.size());
            for (const auto& s : v) w.str(s);
          }};
}

struct gguf_tensor_spec {
  std::string name;
  std::uint32_t type = 0;
  std::vector<std::uint64_t> shape;
  std::vector<std::uint8_t> data;
};

struct gguf_built {
  gguf_bytes w;
  std::size_t kv_count_at = 16, tensor_count_at = 8;
  std::vector<std::size_t> kv_at;           // each key's length field
  std::vector<std::size_t> tensor_info_at;  // each tensor info's name length field
  std::vector<std::size_t> offset_at;       // each tensor info's offset field
  std::size_t data_at = 0;                  // start of the data section
  const std::uint8_t* data() const { return w.b.data(); }
  std::size_t size() const { return w.b.size(); }
};

// A version-3 file with the given metadata and tensors, each tensor's data at the next
// multiple of `alignment` after the previous one (the writer does not add general.alignment:
// pass it in kvs when it is not 32).
inline gguf_built build_gguf(const std::vector<gguf_kv>& kvs, const std::vector<gguf_tensor_spec>& tensors,
                             std::uint64_t alignment = 32) {
  gguf_built r;
  gguf_bytes& w = r.w;
  w.b.insert(w.b.end(), {'G', 'G', 'U', 'F'});
  w.put<std::uint32_t>(3);
  w.put<std::uint64_t>(tensors.size());
  w.put<std::uint64_t>(kvs.size());
  for (const auto& e : kvs) {
    r.kv_at.push_back(w.str(e.key));
    e.value(w);
  }
  std::uint64_t offset = 0;
  std::vector<std::uint64_t> offsets;
  for (const auto& t : tensors) {
    r.tensor_info_at.push_back(w.str(t.name));
    w.put<std::uint32_t>(static_cast<std::uint32_t>(t.shape.size()));
    for (auto d : t.shape) w.put<std::uint64_t>(d);
    w.put<std::uint32_t>(t.type);
    r.offset_at.push_back(w.put<std::uint64_t>(offset));
    offsets.push_back(offset);
    offset = (offset + t.data.size() + alignment - 1) / alignment * alignment;
  }
  while (w.b.size() % alignment != 0) w.b.push_back(0);
  r.data_at = w.b.size();
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    w.b.resize(r.data_at + offsets[i], 0);
    w.b.insert(w.b.end(), tensors[i].data.begin(), tensors[i].data.end());
  }
  return r;
}

}  // namespace actsparse_test
