// actsparse/gguf.hpp: reading GGUF model files (llama.cpp's format) into packed matrices.
//
// A GGUF file is a header, typed key-value metadata, a table of tensor infos, then the
// tensor data, each tensor at an aligned offset (ggml's docs/gguf.md). Its weights are
// row-major with the quantization blocks running along ne0, the input dimension K, so an
// inactive input can only be skipped when its whole 32- or 256-weight block is: at 90%
// random sparsity that happens for 3.4% of 32-weight blocks (shared/BRIEF.md, "the layout
// lesson"). pack() therefore repacks at load time: it dequantizes one block of rows at a
// time and quantizes them into K-major strips (format.hpp), never holding an fp32 copy of
// the whole matrix.
//
// The file is untrusted input. The parser checks every count, length and offset against
// the bytes that remain before it reads or allocates, and every problem throws
// actsparse::error naming the file, the field and its byte offset. Nothing reads outside
// the mapping. Tensors of a type actsparse cannot decode are listed like the others; the
// error comes only when such a tensor is dequantized or packed.
//
// Block formats decoded here (bits per weight): F32 (32), F16 and BF16 (16), Q4_0 (4.5),
// Q4_1 (5), Q5_0 (5.5), Q5_1 (6), Q8_0 (8.5), Q2_K (2.625), Q3_K (3.4375), Q4_K (4.5),
// Q5_K (5.5), Q6_K (6.5625). Each dequantized weight is bit for bit what ggml's reference
// dequantization gives: every product below is exact in fp32 (an fp16 scale has 11
// significant bits, the integer factors at most 12 together), so only the final add rounds
// and a compiler that fuses it into an FMA gets the same result. The one exception is
// Q6_K's (d * scale) * q, whose second product may round: it keeps ggml's order.
#pragma once

#include "config.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "error.hpp"
#include "format.hpp"
#include "half.hpp"
#include "mapped_file.hpp"
#include "pack.hpp"

ACTSPARSE_NAMESPACE_BEGIN

// The metadata value types of GGUF (gguf_metadata_value_type).
enum class gguf_value_type : std::uint32_t {
  u8 = 0, i8 = 1, u16 = 2, i16 = 3, u32 = 4, i32 = 5, f32 = 6, boolean = 7, string = 8, array = 9,
  u64 = 10, i64 = 11, f64 = 12
};

// One metadata value: a scalar, a string, or an array (arrays may nest). Arrays of numbers
// or bools keep the file's bytes (`raw`), so a file cannot make the reader hold much more
// than its own size; arrays of strings or arrays hold their elements in `items`.
struct gguf_value {
  gguf_value_type type = gguf_value_type::u8;
  gguf_value_type elem = gguf_value_type::u8;  // arrays: the element type
  std::uint64_t bits = 0;                      // integers (two's complement) and bool
  double number = 0;                           // every numeric type, as a double
  std::string text;                            // strings
  std::uint64_t count = 0;                     // arrays: the number of elements
  std::vector<gguf_value> items;               // arrays of strings or of arrays
  std::vector<std::uint8_t> raw;               // arrays of numbers or bools: count elements as in the file

  // Element i of an array (i < count), whatever its element type.
  gguf_value item(std::size_t i) const;
};

namespace detail {

// ggml's tensor types: name, weights per block and bytes per block (0: no longer defined).
struct ggml_type_info {
  const char* name;
  std::uint32_t block;
  std::uint32_t size;
  bool decoded;  // actsparse dequantizes it
};

inline const ggml_type_info* ggml_type(std::uint32_t id) {
  static const ggml_type_info kTypes[] = {
      {"F32", 1, 4, true},        {"F16", 1, 2, true},       {"Q4_0", 32, 18, true},    {"Q4_1", 32, 20, true},
      {"Q4_2", 0, 0, false},      {"Q4_3", 0, 0, false},     {"Q5_0", 32, 22, true},    {"Q5_1", 32, 24, true},
      {"Q8_0", 32, 34, true},     {"Q8_1", 32, 36, false},   {"Q2_K", 256, 84, true},   {"Q3_K", 256, 110, true},
      {"Q4_K", 256, 144, true},   {"Q5_K", 256, 176, true},  {"Q6_K", 256, 210, true},  {"Q8_K", 256, 292, false},
      {"IQ2_XXS", 256, 66, false}, {"IQ2_XS", 256, 74, false}, {"IQ3_XXS", 256, 98, false}, {"IQ1_S", 256, 50, false},
      {"IQ4_NL", 32, 18, false},  {"IQ3_S", 256, 110, false}, {"IQ2_S", 256, 82, false}, {"IQ4_XS", 256, 136, false},
      {"I8", 1, 1, false},        {"I16", 1, 2, false},      {"I32", 1, 4, false},      {"I64", 1, 8, false},
      {"F64", 1, 8, false},       {"IQ1_M", 256, 56, false}, {"BF16", 1, 2, true},      {"Q4_0_4_4", 0, 0, false},
      {"Q4_0_4_8", 0, 0, false},  {"Q4_0_8_8", 0, 0, false}, {"TQ1_0", 256, 54, false}, {"TQ2_0", 256, 66, false},
      {"IQ4_NL_4_4", 0, 0, false}, {"IQ4_NL_4_8", 0, 0, false}, {"IQ4_NL_8_8", 0, 0, false}, {"MXFP4", 32, 17, false},
  };
  return id < sizeof kTypes / sizeof kTypes[0] ? &kTypes[id] : nullptr;
}

inline std::string ggml_type_name(std::uint32_t id) {
  const ggml_type_info* t = ggml_type(id);
  return t != nullptr ? std::string(t->name) : "type " + std::to_string(id);
}

inline constexpr const char* kGgufDecoded = "F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K";

inline const char* gguf_value_type_name(gguf_value_type t) {
  static const char* const kNames[] = {"uint8", "int8",   "uint16", "int16",  "uint32", "int32", "float32",
                                       "bool",  "string", "array",  "uint64", "int64",  "float64"};
  const auto i = static_cast<std::uint32_t>(t);
  return i < 13 ? kNames[i] : "unknown";
}

// The code point that starts s[0, n) (n >= 1), and its length in bytes. Strict UTF-8: a
// byte that does not start a valid sequence (overlong forms, surrogates, values above
// U+10FFFF, a sequence cut short) gives kNotUtf8 with length 1.
inline constexpr std::uint32_t kNotUtf8 = 0xffffffffu;
inline std::uint32_t utf8_code_point(const std::uint8_t* s, std::size_t n, std::size_t& len) {
  len = 1;
  const std::uint8_t c = s[0];
  if (c < 0x80) return c;
  std::size_t k;
  std::uint32_t cp, min;
  if ((c & 0xe0) == 0xc0) k = 2, cp = c & 0x1fu, min = 0x80;
  else if ((c & 0xf0) == 0xe0) k = 3, cp = c & 0x0fu, min = 0x800;
  else if ((c & 0xf8) == 0xf0) k = 4, cp = c & 0x07u, min = 0x10000;
  else return kNotUtf8;
  if (n < k) return kNotUtf8;
  for (std::size_t j = 1; j < k; ++j) {
    if ((s[j] & 0xc0) != 0x80) return kNotUtf8;
    cp = (cp << 6) | (s[j] & 0x3fu);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return kNotUtf8;
  len = k;
  return cp;
}

inline bool valid_utf8(const std::uint8_t* s, std::size_t n) {
  for (std::size_t i = 0, len = 0; i < n; i += len)
    if (utf8_code_point(s + i, n - i, len) == kNotUtf8) return false;
  return true;
}

// ---- ggml block decoders: one row of ne0 weights (a whole number of blocks) to fp32.
// Each follows ggml's reference dequantize_row_* (ggml-quants.c) in order of operations.

inline float gguf_half(const std::uint8_t* p) {
  std::uint16_t h;
  std::memcpy(&h, p, 2);
  return half_to_float(h);
}

inline void dequant_q4_0(const std::uint8_t* b, float* y) {  // 18 bytes: d, 16 x 2 nibbles
  const float d = gguf_half(b);
  for (int j = 0; j < 16; ++j) {
    y[j] = d * static_cast<float>((b[2 + j] & 0x0f) - 8);
    y[j + 16] = d * static_cast<float>((b[2 + j] >> 4) - 8);
  }
}

inline void dequant_q4_1(const std::uint8_t* b, float* y) {  // 20 bytes: d, m, 16 x 2 nibbles
  const float d = gguf_half(b), m = gguf_half(b + 2);
  for (int j = 0; j < 16; ++j) {
    y[j] = d * static_cast<float>(b[4 + j] & 0x0f) + m;
    y[j + 16] = d * static_cast<float>(b[4 + j] >> 4) + m;
  }
}

inline std::uint32_t load_u32(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

inline void dequant_q5_0(const std::uint8_t* b, float* y) {  // 22 bytes: d, 32 high bits, 16 x 2 nibbles
  const float d = gguf_half(b);
  const std::uint32_t qh = load_u32(b + 2);
  for (int j = 0; j < 16; ++j) {
    const int lo = (b[6 + j] & 0x0f) | static_cast<int>(((qh >> j) & 1u) << 4);
    const int hi = (b[6 + j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4);
    y[j] = d * static_cast<float>(lo - 16);
    y[j + 16] = d * static_cast<float>(hi - 16);
  }
}

inline void dequant_q5_1(const std::uint8_t* b, float* y) {  // 24 bytes: d, m, 32 high bits, 16 x 2 nibbles
  const float d = gguf_half(b), m = gguf_half(b + 2);
  const std::uint32_t qh = load_u32(b + 4);
  for (int j = 0; j < 16; ++j) {
    const int lo = (b[8 + j] & 0x0f) | static_cast<int>(((qh >> j) & 1u) << 4);
    const int hi = (b[8 + j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4);
    y[j] = d * static_cast<float>(lo) + m;
    y[j + 16] = d * static_cast<float>(hi) + m;
  }
}

inline void dequant_q8_0(const std::uint8_t* b, float* y) {  // 34 bytes: d, 32 int8
  const float d = gguf_half(b);
  for (int j = 0; j < 32; ++j) y[j] = d * static_cast<float>(static_cast<std::int8_t>(b[2 + j]));
}

inline void dequant_q2_k(const std::uint8_t* b, float* y) {  // 84 bytes: 16 scales/mins, 64 x 4 crumbs, d, dmin
  const std::uint8_t* sc = b;
  const std::uint8_t* q = b + 16;
  const float d = gguf_half(b + 80), dmin = gguf_half(b + 82);
  int is = 0;
  for (int half = 0; half < 2; ++half, q += 32)
    for (int shift = 0; shift < 8; shift += 2)
      for (int part = 0; part < 2; ++part, ++is) {
        const float dl = d * static_cast<float>(sc[is] & 0x0f), ml = dmin * static_cast<float>(sc[is] >> 4);
        for (int l = 0; l < 16; ++l) *y++ = dl * static_cast<float>((q[l + 16 * part] >> shift) & 3) - ml;
      }
}

inline void dequant_q3_k(const std::uint8_t* b, float* y) {  // 110 bytes: 32 hmask, 64 x 4 crumbs, 12 scales, d
  const std::uint8_t* hm = b;
  const std::uint8_t* q = b + 32;
  const std::uint8_t* s = b + 96;
  const float d = gguf_half(b + 108);
  // Sixteen 6-bit scales: low nibbles in bytes 0-7 (low then high halves), high crumbs in 8-11.
  int scale[16];
  for (int i = 0; i < 16; ++i) {
    const int lo = (s[i % 8] >> (4 * (i / 8))) & 0x0f;
    const int hi = (s[8 + i % 4] >> (2 * (i / 4))) & 3;
    scale[i] = (lo | (hi << 4)) - 32;
  }
  int is = 0;
  std::uint8_t m = 1;
  for (int half = 0; half < 2; ++half, q += 32)
    for (int shift = 0; shift < 8; shift += 2, m = static_cast<std::uint8_t>(m << 1))
      for (int part = 0; part < 2; ++part, ++is) {
        const float dl = d * static_cast<float>(scale[is]);
        for (int l = 0; l < 16; ++l) {
          const int i = l + 16 * part;
          const int v = ((q[i] >> shift) & 3) - ((hm[i] & m) ? 0 : 4);
          *y++ = dl * static_cast<float>(v);
        }
      }
}

// Scale and min j (0-7) of a Q4_K / Q5_K super-block: 6 bits each, packed in 12 bytes.
inline void k4_scale_min(int j, const std::uint8_t* s, int* sc, int* mn) {
  if (j < 4) {
    *sc = s[j] & 63;
    *mn = s[j + 4] & 63;
  } else {
    *sc = (s[j + 4] & 0x0f) | ((s[j - 4] >> 6) << 4);
    *mn = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}

inline void dequant_q4_k(const std::uint8_t* b, float* y) {  // 144 bytes: d, dmin, 12 scales, 128 x 2 nibbles
  const float d = gguf_half(b), dmin = gguf_half(b + 2);
  const std::uint8_t* q = b + 16;
  for (int j = 0; j < 8; j += 2, q += 32) {
    int sc, mn;
    k4_scale_min(j, b + 4, &sc, &mn);
    const float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(mn);
    k4_scale_min(j + 1, b + 4, &sc, &mn);
    const float d2 = d * static_cast<float>(sc), m2 = dmin * static_cast<float>(mn);
    for (int l = 0; l < 32; ++l) *y++ = d1 * static_cast<float>(q[l] & 0x0f) - m1;
    for (int l = 0; l < 32; ++l) *y++ = d2 * static_cast<float>(q[l] >> 4) - m2;
  }
}

inline void dequant_q5_k(const std::uint8_t* b, float* y) {  // 176 bytes: d, dmin, 12 scales, 32 high, 128 nibbles
  const float d = gguf_half(b), dmin = gguf_half(b + 2);
  const std::uint8_t* qh = b + 16;
  const std::uint8_t* q = b + 48;
  int u = 1;
  for (int j = 0; j < 8; j += 2, q += 32, u <<= 2) {
    int sc, mn;
    k4_scale_min(j, b + 4, &sc, &mn);
    const float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(mn);
    k4_scale_min(j + 1, b + 4, &sc, &mn);
    const float d2 = d * static_cast<float>(sc), m2 = dmin * static_cast<float>(mn);
    for (int l = 0; l < 32; ++l) *y++ = d1 * static_cast<float>((q[l] & 0x0f) + ((qh[l] & u) ? 16 : 0)) - m1;
    for (int l = 0; l < 32; ++l) *y++ = d2 * static_cast<float>((q[l] >> 4) + ((qh[l] & (u << 1)) ? 16 : 0)) - m2;
  }
}

inline void dequant_q6_k(const std::uint8_t* b, float* y) {  // 210 bytes: 128 low nibbles, 64 high crumbs, 16 int8 scales, d
  const std::uint8_t* ql = b;
  const std::uint8_t* qh = b + 128;
  const auto* sc = reinterpret_cast<const std::int8_t*>(b + 192);
  const float d = gguf_half(b + 208);
  for (int half = 0; half < 2; ++half, y += 128, ql += 64, qh += 32, sc += 8)
    for (int l = 0; l < 32; ++l) {
      const int is = l / 16;
      const int q1 = ((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32;
      const int q2 = ((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32;
      const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      // (d * scale) * q, as ggml: the first product is exact, the second may round.
      y[l] = d * static_cast<float>(sc[is]) * static_cast<float>(q1);
      y[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
      y[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
      y[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
    }
}

// One row of n weights of ggml type `type` (decoded, n a multiple of its block) to fp32.
inline void gguf_dequant_row(std::uint32_t type, const std::uint8_t* src, std::size_t n, float* y) {
  const ggml_type_info& t = *ggml_type(type);
  const std::size_t blocks = n / t.block;
  switch (type) {
    case 0: std::memcpy(y, src, n * 4); return;
    case 1:
      for (std::size_t i = 0; i < n; ++i) y[i] = gguf_half(src + 2 * i);
      return;
    case 30:
      for (std::size_t i = 0; i < n; ++i) {
        std::uint16_t h;
        std::memcpy(&h, src + 2 * i, 2);
        y[i] = bf16_to_float(h);
      }
      return;
    default: break;
  }
  void (*block)(const std::uint8_t*, float*) = nullptr;
  switch (type) {
    case 2: block = dequant_q4_0; break;
    case 3: block = dequant_q4_1; break;
    case 6: block = dequant_q5_0; break;
    case 7: block = dequant_q5_1; break;
    case 8: block = dequant_q8_0; break;
    case 10: block = dequant_q2_k; break;
    case 11: block = dequant_q3_k; break;
    case 12: block = dequant_q4_k; break;
    case 13: block = dequant_q5_k; break;
    case 14: block = dequant_q6_k; break;
    default: return;  // unreachable: callers check t.decoded
  }
  for (std::size_t i = 0; i < blocks; ++i) block(src + i * t.size, y + i * t.block);
}

// The projection a GGUF tensor name plays in a Llama-style decoder, as `actsparse decode`
// names them: q, k, v, o, gate, up, down, lm_head; "" for anything else (norms,
// embeddings). blk.N.attn_q.weight -> q, output.weight -> lm_head.
inline std::string gguf_projection(const std::string& name) {
  static const std::pair<const char*, const char*> kSuffix[] = {
      {".attn_q.weight", "q"},     {".attn_k.weight", "k"},   {".attn_v.weight", "v"},
      {".attn_output.weight", "o"}, {".ffn_gate.weight", "gate"}, {".ffn_up.weight", "up"},
      {".ffn_down.weight", "down"}};
  if (name == "output.weight") return "lm_head";
  if (name.compare(0, 4, "blk.") != 0) return "";
  for (const auto& [suffix, proj] : kSuffix) {
    const std::size_t n = std::strlen(suffix);
    if (name.size() > n && name.compare(name.size() - n, n, suffix) == 0) return proj;
  }
  return "";
}

}  // namespace detail

inline gguf_value gguf_value::item(std::size_t i) const {
  if (type != gguf_value_type::array || i >= count)
    detail::fail("gguf_value::item", "index ", i, " is out of range (", type == gguf_value_type::array ? count : 0,
                 " elements)");
  if (!items.empty()) return items[i];
  gguf_value v;
  v.type = elem;
  auto load = [&](auto x) {
    std::memcpy(&x, raw.data() + i * sizeof(x), sizeof(x));
    return x;
  };
  switch (elem) {
    case gguf_value_type::u8: case gguf_value_type::boolean: v.bits = load(std::uint8_t{}); v.number = double(v.bits); break;
    case gguf_value_type::i8: { const auto x = load(std::int8_t{}); v.bits = std::uint64_t(std::int64_t(x)); v.number = x; break; }
    case gguf_value_type::u16: v.bits = load(std::uint16_t{}); v.number = double(v.bits); break;
    case gguf_value_type::i16: { const auto x = load(std::int16_t{}); v.bits = std::uint64_t(std::int64_t(x)); v.number = x; break; }
    case gguf_value_type::u32: v.bits = load(std::uint32_t{}); v.number = double(v.bits); break;
    case gguf_value_type::i32: { const auto x = load(std::int32_t{}); v.bits = std::uint64_t(std::int64_t(x)); v.number = x; break; }
    case gguf_value_type::u64: v.bits = load(std::uint64_t{}); v.number = double(v.bits); break;
    case gguf_value_type::i64: { const auto x = load(std::int64_t{}); v.bits = std::uint64_t(x); v.number = double(x); break; }
    case gguf_value_type::f32: v.number = load(float{}); break;
    case gguf_value_type::f64: v.number = load(double{}); break;
    default: break;  // strings and arrays live in items
  }
  return v;
}

// Bits and group size per projection, written as `actsparse decode --bits` takes them:
// "4" (every projection) or "default=4,v=6,down=6" with the names q, k, v, o, gate, up,
// down, lm_head. One group size for all.
struct quant_table {
  quant_config fallback{4, 64};
  std::map<std::string, int> bits;  // projection name -> bits

  static quant_table parse(const std::string& text, int group_size = 64) {
    static const char* const kNames[] = {"q", "k", "v", "o", "gate", "up", "down", "lm_head"};
    const char* where = "quant_table::parse";
    quant_table t;
    t.fallback.group_size = group_size;
    if (!detail::legal_group(group_size))
      detail::fail(where, "group_size = ", group_size, " is not supported; legal values are 32, 64, 128");
    auto to_bits = [&](const std::string& item, const std::string& v) {
      std::size_t used = 0;
      int b = 0;
      try {
        b = std::stoi(v, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != v.size() || v.empty() || !detail::legal_bits(b))
        detail::fail(where, "'", item, "': bits must be one of 2, 3, 4, 5, 6, 8");
      return b;
    };
    if (text.empty()) detail::fail(where, "the table is empty; write e.g. \"4\" or \"default=4,down=6\"");
    if (text.find('=') == std::string::npos) {
      t.fallback.bits = to_bits(text, text);
      return t;
    }
    std::size_t start = 0;
    while (start <= text.size()) {
      const std::size_t end = std::min(text.find(',', start), text.size());
      const std::string item = text.substr(start, end - start);
      const std::size_t eq = item.find('=');
      if (eq == std::string::npos)
        detail::fail(where, "'", item, "' is not name=bits; names are default, q, k, v, o, gate, up, down, lm_head");
      const std::string name = item.substr(0, eq);
      const int b = to_bits(item, item.substr(eq + 1));
      if (name == "default") {
        t.fallback.bits = b;
      } else {
        bool known = false;
        for (const char* n : kNames) known = known || name == n;
        if (!known)
          detail::fail(where, "'", name, "' is not a projection; names are default, q, k, v, o, gate, up, down, lm_head");
        t.bits[name] = b;
      }
      start = end + 1;
    }
    return t;
  }

  // The configuration of a projection by its name ("down"), or the default.
  quant_config for_projection(const std::string& proj) const {
    const auto it = bits.find(proj);
    return it == bits.end() ? fallback : quant_config{it->second, fallback.group_size, fallback.rule};
  }
};

// A GGUF file, memory-mapped (or a caller's buffer), parsed and checked on construction.
class gguf_file {
 public:
  struct tensor {
    std::string name;
    std::string type;                  // ggml type name: "Q4_1", "F32", ...
    std::vector<std::uint64_t> shape;  // shape[0] = ne0, the contiguous dimension
    std::uint32_t type_id = 0;         // ggml_type
    std::uint64_t offset = 0;          // of its data, from the start of the file
    std::uint64_t bytes = 0;           // of its data (0 for a type whose block size is unknown)
    std::uint64_t elements() const {
      std::uint64_t n = 1;
      for (auto d : shape) n *= d;
      return n;
    }
  };

  // Maps the file read-only. A file that is not valid GGUF throws actsparse::error.
  explicit gguf_file(const std::string& path) : name_(path) {
    const detail::mapped_file m = detail::map_readonly(path, "gguf_file");
    map_ = m.keep;
    base_ = m.data;
    size_ = m.size;
    parse_checked();
  }

  // Parses `size` bytes the caller keeps alive and unchanged for this object's lifetime
  // (no copy). `name` is used in messages.
  static gguf_file from_memory(const void* data, std::size_t size, const std::string& name = "<memory>") {
    return gguf_file(static_cast<const std::uint8_t*>(data), size, name);
  }

  std::uint32_t version() const { return version_; }
  std::uint64_t alignment() const { return alignment_; }
  std::uint64_t data_offset() const { return data_offset_; }  // start of the tensor data section
  std::size_t size() const { return size_; }

  const std::vector<tensor>& tensors() const { return tensors_; }
  bool has_tensor(const std::string& name) const { return tensor_index_.count(name) != 0; }
  const tensor& find(const std::string& name) const {
    const auto it = tensor_index_.find(name);
    if (it == tensor_index_.end()) fail("tensor '" + name + "' is not in the file");
    return tensors_[it->second];
  }

  // Metadata, in file order.
  const std::vector<std::pair<std::string, gguf_value>>& metadata() const { return kv_; }
  bool has(const std::string& key) const { return kv_index_.count(key) != 0; }
  const gguf_value& value(const std::string& key) const {
    const auto it = kv_index_.find(key);
    if (it == kv_index_.end()) fail("key '" + key + "' is not in the file");
    return kv_[it->second].second;
  }
  // Any integer or bool type; throws if the key is missing, of another type, or out of range.
  std::int64_t get_int(const std::string& key) const { return to_int(key, value(key)); }
  // Any float or integer type.
  double get_float(const std::string& key) const { return to_float(key, value(key)); }
  bool get_bool(const std::string& key) const {
    const gguf_value& v = value(key);
    if (v.type != gguf_value_type::boolean) wrong_type(key, v, "bool");
    return v.bits != 0;
  }
  std::string get_string(const std::string& key) const {
    const gguf_value& v = value(key);
    if (v.type != gguf_value_type::string) wrong_type(key, v, "string");
    return v.text;
  }
  std::vector<std::string> get_strings(const std::string& key) const {
    const gguf_value& v = array(key, "array of string");
    if (v.elem != gguf_value_type::string) wrong_type(key, v, "array of string");
    std::vector<std::string> out;
    out.reserve(v.items.size());
    for (const auto& i : v.items) out.push_back(i.text);
    return out;
  }
  std::vector<std::int64_t> get_ints(const std::string& key) const {
    const gguf_value& v = array(key, "array of integers");
    std::vector<std::int64_t> out;
    out.reserve(v.count);
    for (std::size_t i = 0; i < v.count; ++i) out.push_back(to_int(key, v.item(i)));
    return out;
  }
  std::vector<double> get_floats(const std::string& key) const {
    const gguf_value& v = array(key, "array of numbers");
    std::vector<double> out;
    out.reserve(v.count);
    for (std::size_t i = 0; i < v.count; ++i) out.push_back(to_float(key, v.item(i)));
    return out;
  }

  // All elements of a tensor in fp32, ne0 fastest (out holds elements()).
  void dequantize(const std::string& name, float* out) const {
    const tensor& t = decodable("dequantize", name);
    if (out == nullptr) detail::fail("gguf_file::dequantize", "out is null");
    dequantize_rows(t, 0, t.elements() / t.shape[0], out);
  }

  // Rows [first, first + count) of a tensor (a row is ne0 elements; rows run over ne1,
  // then ne2, ne3), e.g. the embeddings of some tokens. out holds count * ne0 floats.
  void dequantize_rows(const std::string& name, std::uint64_t first, std::uint64_t count, float* out) const {
    const tensor& t = decodable("dequantize_rows", name);
    if (out == nullptr) detail::fail("gguf_file::dequantize_rows", "out is null");
    const std::uint64_t rows = t.elements() / t.shape[0];
    if (first > rows || count > rows - first)
      detail::fail("gguf_file::dequantize_rows", "rows [", first, ", ", first + count, ") of '", name,
                   "' are out of range; it has ", rows, " rows");
    dequantize_rows(t, first, count, out);
  }

  // Repacks a 2-D weight into the K-major format: rows = ne1 (outputs), cols = ne0
  // (inputs). ne1 must be a multiple of cfg.group_size. Dequantizes kRowBlock groups of
  // rows at a time (threads split the row blocks), so the fp32 working set stays small.
  packed_matrix pack(const std::string& name, quant_config cfg) const {
    const char* where = "gguf_file::pack";
    const tensor& t = decodable("pack", name);
    if (t.shape.size() > 2 && t.elements() != t.shape[0] * t.shape[1])
      detail::fail(where, "tensor '", name, "' has ", t.shape.size(), " dimensions; pack takes a 2-D weight");
    detail::check_config(where, cfg);
    const std::size_t K = t.shape[0], N = t.shape.size() > 1 ? t.shape[1] : 1;
    const std::size_t g = static_cast<std::size_t>(cfg.group_size);
    if (N % g != 0)
      detail::fail(where, "tensor '", name, "' has ne1 = ", N, " outputs, not a multiple of group_size = ", g,
                   "; choose a group size that divides it");
    packed_matrix W(N, K, cfg);
    const std::size_t G = N / g, row_bytes = t.bytes / (t.elements() / t.shape[0]);
    const std::uint8_t* src = base_ + t.offset;
    const std::ptrdiff_t blocks = static_cast<std::ptrdiff_t>(G);
    std::ptrdiff_t bad = -1;  // the first group holding a weight pack cannot store
    float bad_value = 0;
    std::size_t bad_row = 0, bad_col = 0;
#pragma omp parallel
    {
      std::vector<float> tile(g * K), col(g);
#pragma omp for schedule(dynamic)
      for (std::ptrdiff_t j = 0; j < blocks; ++j) {
        const std::size_t n0 = static_cast<std::size_t>(j) * g;
        for (std::size_t r = 0; r < g; ++r)
          detail::gguf_dequant_row(t.type_id, src + (n0 + r) * row_bytes, K, tile.data() + r * K);
        bool ok = true;
        for (std::size_t i = 0; i < g * K && ok; ++i)
          if (!(std::abs(tile[i]) <= 65504.0f)) {
#pragma omp critical(actsparse_gguf_pack)
            if (bad < 0 || j < bad) bad = j, bad_value = tile[i], bad_row = n0 + i / K, bad_col = i % K;
            ok = false;
          }
        if (!ok) continue;
        for (std::size_t k = 0; k < K; ++k) {
          for (std::size_t r = 0; r < g; ++r) col[r] = tile[r * K + k];
          detail::pack_group(W, k, static_cast<std::size_t>(j), col.data());
        }
      }
    }
    if (bad >= 0)
      detail::fail(where, "tensor '", name, "' row ", bad_row, " column ", bad_col, " is ", bad_value,
                   ", not a finite value within the fp16 range (|w| <= 65504) that the packed format stores");
    return W;
  }

  // Every projection weight of a Llama-style model (q, k, v, o, gate, up, down, lm_head:
  // detail::gguf_projection), packed with its entry of the table. lm_head is output.weight
  // or, for a model with tied embeddings, token_embd.weight. In file order.
  std::vector<std::pair<std::string, packed_matrix>> pack_model(const quant_table& table) const {
    std::vector<std::pair<std::string, packed_matrix>> out;
    const bool tied = !has_tensor("output.weight");
    for (const tensor& t : tensors_) {
      std::string proj = detail::gguf_projection(t.name);
      if (proj.empty() && tied && t.name == "token_embd.weight") proj = "lm_head";
      if (!proj.empty()) out.emplace_back(t.name, pack(t.name, table.for_projection(proj)));
    }
    return out;
  }

 private:
  gguf_file(const std::uint8_t* data, std::size_t size, const std::string& name) : name_(name), base_(data), size_(size) {
    if (data == nullptr && size != 0) detail::fail("gguf_file::from_memory", "data is null");
    parse_checked();
  }

  // The reader holds at most a small multiple of the file's size (every count is checked
  // against the bytes left first); if even that cannot be had, say so as a file error.
  void parse_checked() {
    try {
      parse();
    } catch (const std::bad_alloc&) {
      fail("out of memory while reading the metadata and tensor table (" + std::to_string(size_) + " bytes)");
    }
  }

  [[noreturn]] void fail(const std::string& what) const { detail::fail("gguf_file", name_, ": ", what); }
  [[noreturn]] void fail_at(std::uint64_t offset, const std::string& field, const std::string& what) const {
    detail::fail("gguf_file", name_, ": ", field, " at byte offset ", offset, ": ", what);
  }

  // ---- parsing: a cursor that checks every read against the end of the buffer.
  std::size_t pos_ = 0;

  void need(std::uint64_t n, const std::string& field) const {
    if (n > size_ - pos_)
      fail_at(pos_, field, "needs " + std::to_string(n) + " bytes but the file ends after " +
                               std::to_string(size_ - pos_) + (size_ - pos_ == 1 ? " byte" : " bytes") +
                               " (truncated file?)");
  }
  template <class T>
  T read(const std::string& field) {
    need(sizeof(T), field);
    T v;
    std::memcpy(&v, base_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string read_string(const std::string& field) {
    const std::size_t at = pos_;
    const auto n = read<std::uint64_t>(field + " length");
    if (n > size_ - pos_)
      fail_at(at, field, "string length " + std::to_string(n) + " runs past the end of the file (" +
                             std::to_string(size_ - pos_) + " bytes remain)");
    const std::uint8_t* s = base_ + pos_;
    if (!detail::valid_utf8(s, n)) fail_at(pos_, field, "string is not valid UTF-8");
    pos_ += n;
    return std::string(reinterpret_cast<const char*>(s), n);
  }

  static std::uint64_t min_bytes(gguf_value_type t) {  // the smallest encoding of one value
    switch (t) {
      case gguf_value_type::u8: case gguf_value_type::i8: case gguf_value_type::boolean: return 1;
      case gguf_value_type::u16: case gguf_value_type::i16: return 2;
      case gguf_value_type::u32: case gguf_value_type::i32: case gguf_value_type::f32: return 4;
      case gguf_value_type::array: return 12;
      default: return 8;
    }
  }

  gguf_value_type read_type(const std::string& field) {
    const std::size_t at = pos_;
    const auto t = read<std::uint32_t>(field);
    if (t > 12) fail_at(at, field, "value type " + std::to_string(t) + " is not a GGUF type (legal: 0 to 12)");
    return static_cast<gguf_value_type>(t);
  }

  gguf_value read_value(gguf_value_type type, const std::string& field, int depth) {
    gguf_value v;
    v.type = type;
    auto integer = [&](auto x) {
      using T = decltype(x);
      x = read<T>(field);
      v.bits = static_cast<std::uint64_t>(x);
      v.number = static_cast<double>(x);
    };
    switch (type) {
      case gguf_value_type::u8: integer(std::uint8_t{}); break;
      case gguf_value_type::i8: integer(std::int8_t{}); break;
      case gguf_value_type::u16: integer(std::uint16_t{}); break;
      case gguf_value_type::i16: integer(std::int16_t{}); break;
      case gguf_value_type::u32: integer(std::uint32_t{}); break;
      case gguf_value_type::i32: integer(std::int32_t{}); break;
      case gguf_value_type::u64: integer(std::uint64_t{}); break;
      case gguf_value_type::i64: integer(std::int64_t{}); break;
      case gguf_value_type::f32: v.number = read<float>(field); break;
      case gguf_value_type::f64: v.number = read<double>(field); break;
      case gguf_value_type::boolean: {
        const std::size_t at = pos_;
        v.bits = read<std::uint8_t>(field);
        if (v.bits > 1) fail_at(at, field, "bool is " + std::to_string(v.bits) + "; legal values are 0 and 1");
        v.number = static_cast<double>(v.bits);
        break;
      }
      case gguf_value_type::string: v.text = read_string(field); break;
      case gguf_value_type::array: {
        if (depth >= kMaxDepth)
          fail_at(pos_, field, "arrays nest deeper than " + std::to_string(kMaxDepth) + " levels");
        v.elem = read_type(field + " element type");
        const std::size_t at = pos_;
        const auto n = read<std::uint64_t>(field + " count");
        if (n > (size_ - pos_) / min_bytes(v.elem))
          fail_at(at, field, "array of " + std::to_string(n) + " " + detail::gguf_value_type_name(v.elem) +
                                 " values cannot fit in the " + std::to_string(size_ - pos_) + " bytes that remain");
        v.count = n;
        if (v.elem != gguf_value_type::string && v.elem != gguf_value_type::array) {
          // Numbers and bools: the bytes as they are (bools checked to be 0 or 1).
          const std::size_t bytes = static_cast<std::size_t>(n * min_bytes(v.elem));
          v.raw.assign(base_ + pos_, base_ + pos_ + bytes);
          if (v.elem == gguf_value_type::boolean)
            for (std::size_t i = 0; i < bytes; ++i)
              if (v.raw[i] > 1)
                fail_at(pos_ + i, field + "[" + std::to_string(i) + "]",
                        "bool is " + std::to_string(v.raw[i]) + "; legal values are 0 and 1");
          pos_ += bytes;
          break;
        }
        v.items.reserve(n);
        for (std::uint64_t i = 0; i < n; ++i)
          v.items.push_back(read_value(v.elem, field + "[" + std::to_string(i) + "]", depth + 1));
        break;
      }
    }
    return v;
  }

  void parse() {
    pos_ = 0;
    need(4, "magic");
    if (std::memcmp(base_, "GGUF", 4) != 0) fail_at(0, "magic", "not a GGUF file (the first 4 bytes are not \"GGUF\")");
    pos_ = 4;
    version_ = read<std::uint32_t>("version");
    if (version_ != 0 && (version_ & 0xffffu) == 0)
      fail_at(4, "version", "the file is big-endian (its version reads as " + std::to_string(version_) +
                                "); only little-endian GGUF files are supported");
    if (version_ != 2 && version_ != 3)
      fail_at(4, "version", "GGUF version " + std::to_string(version_) + " is not supported; legal versions are 2 and 3");
    const auto n_tensors = read<std::uint64_t>("tensor_count");
    const auto n_kv = read<std::uint64_t>("metadata_kv_count");
    // Each key-value pair takes at least 13 bytes, each tensor info 24.
    if (n_kv > (size_ - pos_) / 13)
      fail_at(16, "metadata_kv_count", std::to_string(n_kv) + " pairs cannot fit in the " +
                                           std::to_string(size_ - pos_) + " bytes that remain");
    if (n_tensors > (size_ - pos_) / 24)
      fail_at(8, "tensor_count", std::to_string(n_tensors) + " tensor infos cannot fit in the " +
                                     std::to_string(size_ - pos_) + " bytes that remain");

    kv_.reserve(n_kv);
    for (std::uint64_t i = 0; i < n_kv; ++i) {
      const std::string at = "metadata[" + std::to_string(i) + "]";
      const std::size_t key_at = pos_;
      std::string key = read_string(at + " key");
      if (kv_index_.count(key)) fail_at(key_at, at + " key", "duplicate key '" + key + "'");
      const gguf_value_type t = read_type(at + " '" + key + "' type");
      gguf_value v = read_value(t, at + " '" + key + "' value", 0);
      kv_index_.emplace(key, kv_.size());
      kv_.emplace_back(std::move(key), std::move(v));
    }

    alignment_ = 32;
    if (has("general.alignment")) {
      const gguf_value& a = value("general.alignment");
      if (a.type != gguf_value_type::u32)
        fail("general.alignment is " + std::string(detail::gguf_value_type_name(a.type)) + "; it must be uint32");
      if (a.bits == 0 || (a.bits & (a.bits - 1)) != 0)
        fail("general.alignment = " + std::to_string(a.bits) + " is not a power of two");
      alignment_ = a.bits;
    }

    tensors_.reserve(n_tensors);
    for (std::uint64_t i = 0; i < n_tensors; ++i) {
      const std::string at = "tensor_info[" + std::to_string(i) + "]";
      tensor t;
      const std::size_t name_at = pos_;
      t.name = read_string(at + " name");
      if (tensor_index_.count(t.name)) fail_at(name_at, at + " name", "duplicate tensor name '" + t.name + "'");
      const std::string field = at + " '" + t.name + "'";
      const std::size_t dims_at = pos_;
      const auto n_dims = read<std::uint32_t>(field + " n_dims");
      if (n_dims == 0 || n_dims > 4)
        fail_at(dims_at, field + " n_dims", std::to_string(n_dims) + " dimensions; legal values are 1 to 4");
      std::uint64_t elements = 1;
      for (std::uint32_t d = 0; d < n_dims; ++d) {
        const std::size_t dim_at = pos_;
        const auto ne = read<std::uint64_t>(field + " ne[" + std::to_string(d) + "]");
        if (ne == 0 || ne > (std::uint64_t{1} << 62))
          fail_at(dim_at, field + " ne[" + std::to_string(d) + "]", "dimension " + std::to_string(ne) +
                                                                   " is out of range (1 to 2^62)");
        if (__builtin_mul_overflow(elements, ne, &elements) || elements > (std::uint64_t{1} << 62))
          fail_at(dim_at, field + " shape", "the element count overflows 2^62");
        t.shape.push_back(ne);
      }
      const std::size_t type_at = pos_;
      t.type_id = read<std::uint32_t>(field + " type");
      t.type = detail::ggml_type_name(t.type_id);
      const std::size_t offset_at = pos_;
      const auto offset = read<std::uint64_t>(field + " offset");
      if (offset % alignment_ != 0)
        fail_at(offset_at, field + " offset", std::to_string(offset) + " is not a multiple of the alignment " +
                                                  std::to_string(alignment_));
      t.offset = offset;  // relative to the data section until it is known below
      const detail::ggml_type_info* info = detail::ggml_type(t.type_id);
      if (info != nullptr && info->block != 0) {
        if (t.shape[0] % info->block != 0)
          fail_at(type_at, field + " ne[0]", std::to_string(t.shape[0]) + " is not a multiple of " + t.type +
                                                 "'s block of " + std::to_string(info->block));
        if (__builtin_mul_overflow(elements / info->block, std::uint64_t{info->size}, &t.bytes))
          fail_at(type_at, field, "the data size overflows");
      }
      tensor_index_.emplace(t.name, tensors_.size());
      tensors_.push_back(std::move(t));
    }

    // The data section starts at the next multiple of the alignment.
    const std::uint64_t start = (pos_ + alignment_ - 1) / alignment_ * alignment_;
    if (tensors_.empty()) {
      data_offset_ = std::min<std::uint64_t>(start, size_);
      return;
    }
    if (start > size_) fail_at(pos_, "tensor data", "the data section would start past the end of the file");
    data_offset_ = start;
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < tensors_.size(); ++i) {
      tensor& t = tensors_[i];
      const std::uint64_t room = size_ - data_offset_;
      if (t.offset > room || t.bytes > room - t.offset)
        fail("tensor '" + t.name + "': data [" + std::to_string(t.offset) + ", +" + std::to_string(t.bytes) +
             ") of the data section at byte offset " + std::to_string(data_offset_) +
             " runs past the end of the file (" + std::to_string(room) + " data bytes)");
      t.offset += data_offset_;
      if (t.bytes != 0) order.push_back(i);
    }
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return tensors_[a].offset < tensors_[b].offset; });
    for (std::size_t i = 1; i < order.size(); ++i) {
      const tensor& a = tensors_[order[i - 1]];
      const tensor& b = tensors_[order[i]];
      if (a.offset + a.bytes > b.offset)
        fail("tensor '" + b.name + "' at byte offset " + std::to_string(b.offset) + " overlaps tensor '" + a.name +
             "' [" + std::to_string(a.offset) + ", " + std::to_string(a.offset + a.bytes) + ")");
    }
  }

  std::int64_t to_int(const std::string& key, const gguf_value& v) const {
    switch (v.type) {
      case gguf_value_type::u8: case gguf_value_type::u16: case gguf_value_type::u32: case gguf_value_type::boolean:
        return static_cast<std::int64_t>(v.bits);
      case gguf_value_type::i8: case gguf_value_type::i16: case gguf_value_type::i32: case gguf_value_type::i64:
        return static_cast<std::int64_t>(v.bits);
      case gguf_value_type::u64:
        if (v.bits > static_cast<std::uint64_t>(INT64_MAX)) fail("key '" + key + "' = " + std::to_string(v.bits) + " does not fit in int64");
        return static_cast<std::int64_t>(v.bits);
      default: wrong_type(key, v, "integer");
    }
  }
  double to_float(const std::string& key, const gguf_value& v) const {
    if (v.type == gguf_value_type::string || v.type == gguf_value_type::array || v.type == gguf_value_type::boolean)
      wrong_type(key, v, "number");
    return v.number;
  }
  const gguf_value& array(const std::string& key, const char* want) const {
    const gguf_value& v = value(key);
    if (v.type != gguf_value_type::array) wrong_type(key, v, want);
    return v;
  }
  [[noreturn]] void wrong_type(const std::string& key, const gguf_value& v, const char* want) const {
    std::string have = detail::gguf_value_type_name(v.type);
    if (v.type == gguf_value_type::array) have += " of " + std::string(detail::gguf_value_type_name(v.elem));
    fail("key '" + key + "' is " + have + ", not " + want);
  }

  const tensor& decodable(const char* what, const std::string& name) const {
    const tensor& t = find(name);
    const detail::ggml_type_info* info = detail::ggml_type(t.type_id);
    if (info == nullptr || !info->decoded)
      detail::fail("gguf_file::", what, ": tensor '", name, "' has type ", t.type,
                   ", which actsparse cannot decode; supported types are ", detail::kGgufDecoded);
    return t;
  }

  void dequantize_rows(const tensor& t, std::uint64_t first, std::uint64_t count, float* out) const {
    const std::size_t ne0 = t.shape[0];
    const std::size_t row_bytes = t.bytes / (t.elements() / ne0);
    const std::uint8_t* src = base_ + t.offset + first * row_bytes;
    const auto n = static_cast<std::ptrdiff_t>(count);
#pragma omp parallel for schedule(static) if (count * ne0 >= (std::size_t{1} << 18))
    for (std::ptrdiff_t r = 0; r < n; ++r)
      detail::gguf_dequant_row(t.type_id, src + static_cast<std::size_t>(r) * row_bytes, ne0,
                               out + static_cast<std::size_t>(r) * ne0);
  }

  static constexpr int kMaxDepth = 8;  // nested arrays; real files use 1

  std::string name_;
  std::shared_ptr<const void> map_;  // the mapping (empty for a caller's buffer), shared by copies
  const std::uint8_t* base_ = nullptr;
  std::size_t size_ = 0;
  std::uint32_t version_ = 0;
  std::uint64_t alignment_ = 32, data_offset_ = 0;
  std::vector<std::pair<std::string, gguf_value>> kv_;
  std::map<std::string, std::size_t> kv_index_;
  std::vector<tensor> tensors_;
  std::map<std::string, std::size_t> tensor_index_;
};

ACTSPARSE_NAMESPACE_END  // namespace actsparse
