// tests/test_gguf.cpp: gguf.hpp and model_file.hpp on small files written here byte by byte
// (gguf_writer.hpp): metadata of every type, the tensor table, hand-decoded blocks, pack
// against pack() of the dequantized matrix, the bits table, and every kind of bad file
// (each must throw actsparse::error naming the field and its offset, and read nothing
// outside the buffer: the sanitizer build copies each file into a buffer of its exact size).
// Every block type is also checked against the PyPI gguf package (tests/gguf/check_gguf.py).
#include <gtest/gtest.h>

#include <actsparse/gguf.hpp>
#include <actsparse/model_file.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "gguf_writer.hpp"

using namespace actsparse;
using namespace actsparse_test;

namespace {

// Parses a copy of exactly `n` bytes, so ASan catches any read past the end.
gguf_file parse(const std::uint8_t* p, std::size_t n) {
  auto copy = std::make_shared<std::vector<std::uint8_t>>(p, p + n);
  // from_memory does not own its buffer: keep the copy alive with a static slot per call.
  static thread_local std::vector<std::shared_ptr<std::vector<std::uint8_t>>> keep;
  keep.push_back(copy);
  return gguf_file::from_memory(copy->data(), copy->size(), "test.gguf");
}
gguf_file parse(const gguf_built& f) { return parse(f.data(), f.size()); }

// The message of the actsparse::error that f() throws ("" if it does not throw).
template <class F>
std::string error_message(F&& f) {
  try {
    f();
  } catch (const actsparse::error& e) {
    return e.what();
  }
  return "";
}

// The message of the actsparse::error that parsing throws ("" if it does not throw).
std::string parse_error(const std::uint8_t* p, std::size_t n) {
  return error_message([&] { parse(p, n); });
}
std::string parse_error(const gguf_built& f) { return parse_error(f.data(), f.size()); }

#define EXPECT_CONTAINS(text, part) EXPECT_NE(std::string(text).find(part), std::string::npos) << (text)

std::vector<std::uint8_t> f32_bytes(const std::vector<float>& v) {
  std::vector<std::uint8_t> b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

// A Q8_0 tensor of rows x K (K a multiple of 32): block scale 2^-r for row r, q = i - 64.
gguf_tensor_spec q8_0_tensor(const std::string& name, std::size_t rows, std::size_t K) {
  gguf_tensor_spec t{name, 8, {K, rows}, {}};
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t blk = 0; blk < K / 32; ++blk) {
      const std::uint16_t d = float_to_half(std::ldexp(1.0f, -static_cast<int>(r % 8)));
      t.data.push_back(static_cast<std::uint8_t>(d));
      t.data.push_back(static_cast<std::uint8_t>(d >> 8));
      for (int i = 0; i < 32; ++i) t.data.push_back(static_cast<std::uint8_t>(static_cast<std::int8_t>((i + blk) % 128 - 64)));
    }
  return t;
}

gguf_built small_model() {
  return build_gguf({kv_string("general.architecture", "llama"), kv<std::uint32_t>("llama.block_count", kU32, 1)},
                    {{"norm.weight", 0, {4}, f32_bytes({1, 2, 3, 4})}, q8_0_tensor("blk.0.ffn_down.weight", 64, 64)});
}

}  // namespace

TEST(GgufFile, ReadsMetadataOfEveryType) {
  const gguf_kv nested{"nested", [](gguf_bytes& w) {
                         w.put<std::uint32_t>(kArray);
                         w.put<std::uint32_t>(kArray);
                         w.put<std::uint64_t>(2);
                         for (int a = 0; a < 2; ++a) {
                           w.put<std::uint32_t>(kU8);
                           w.put<std::uint64_t>(3);
                           for (int i = 0; i < 3; ++i) w.put<std::uint8_t>(static_cast<std::uint8_t>(10 * a + i));
                         }
                       }};
  const gguf_kv ints{"ints", [](gguf_bytes& w) {
                       w.put<std::uint32_t>(kArray);
                       w.put<std::uint32_t>(kI32);
                       w.put<std::uint64_t>(3);
                       for (int i : {-1, 0, 7}) w.put<std::int32_t>(i);
                     }};
  const auto f = build_gguf({kv<std::uint8_t>("u8", kU8, 200), kv<std::int8_t>("i8", kI8, -100),
                             kv<std::uint16_t>("u16", kU16, 60000), kv<std::int16_t>("i16", kI16, -30000),
                             kv<std::uint32_t>("u32", kU32, 4000000000u), kv<std::int32_t>("i32", kI32, -2000000000),
                             kv<float>("f32", kF32, 0.25f), kv<std::uint8_t>("bool", kBool, 1),
                             kv_string("str", "h\xc3\xa9llo"), kv<std::uint64_t>("u64", kU64, 1ull << 40),
                             kv<std::int64_t>("i64", kI64, -(1ll << 40)), kv<double>("f64", kF64, 1e-300),
                             kv_strings("strs", {"a", "", "\xe2\x82\xac"}), ints, nested},
                            {});
  const gguf_file g = parse(f);
  EXPECT_EQ(g.version(), 3u);
  EXPECT_EQ(g.metadata().size(), 15u);
  EXPECT_EQ(g.get_int("u8"), 200);
  EXPECT_EQ(g.get_int("i8"), -100);
  EXPECT_EQ(g.get_int("u16"), 60000);
  EXPECT_EQ(g.get_int("i16"), -30000);
  EXPECT_EQ(g.get_int("u32"), 4000000000ll);
  EXPECT_EQ(g.get_int("i32"), -2000000000);
  EXPECT_EQ(g.get_int("u64"), 1ll << 40);
  EXPECT_EQ(g.get_int("i64"), -(1ll << 40));
  EXPECT_EQ(g.get_float("f32"), 0.25);
  EXPECT_EQ(g.get_float("f64"), 1e-300);
  EXPECT_EQ(g.get_float("u16"), 60000.0);
  EXPECT_TRUE(g.get_bool("bool"));
  EXPECT_EQ(g.get_string("str"), "h\xc3\xa9llo");
  EXPECT_EQ(g.get_strings("strs"), (std::vector<std::string>{"a", "", "\xe2\x82\xac"}));
  EXPECT_EQ(g.get_ints("ints"), (std::vector<std::int64_t>{-1, 0, 7}));
  EXPECT_EQ(g.get_floats("ints"), (std::vector<double>{-1, 0, 7}));
  const gguf_value& n = g.value("nested");
  ASSERT_EQ(n.count, 2u);
  EXPECT_EQ(n.elem, gguf_value_type::array);
  EXPECT_EQ(n.item(1).count, 3u);
  EXPECT_EQ(n.item(1).item(2).bits, 12u);
  EXPECT_EQ(n.item(1).item(2).type, gguf_value_type::u8);
  EXPECT_EQ(g.value("ints").item(0).bits, ~0ull);  // -1, two's complement
  EXPECT_THROW(g.value("ints").item(3), actsparse::error);
  EXPECT_TRUE(g.has("nested"));
  EXPECT_FALSE(g.has("missing"));
  EXPECT_TRUE(g.tensors().empty());
}

TEST(GgufFile, GettersNameTheKeyAndTheType) {
  const auto f = build_gguf({kv_string("s", "x"), kv<std::uint64_t>("big", kU64, ~0ull), kv_strings("a", {"x"})}, {});
  const gguf_file g = parse(f);
  auto message = [](auto&& call) { return error_message(call); };
  EXPECT_CONTAINS(message([&] { g.get_int("missing.key"); }), "'missing.key' is not in the file");
  EXPECT_CONTAINS(message([&] { g.get_int("s"); }), "key 's' is string, not integer");
  EXPECT_CONTAINS(message([&] { g.get_float("a"); }), "key 'a' is array of string, not number");
  EXPECT_CONTAINS(message([&] { g.get_strings("s"); }), "key 's' is string, not array of string");
  EXPECT_CONTAINS(message([&] { g.get_int("big"); }), "does not fit in int64");
  EXPECT_CONTAINS(message([&] { g.get_bool("s"); }), "not bool");
  EXPECT_CONTAINS(message([&] { g.find("nope"); }), "tensor 'nope' is not in the file");
}

TEST(GgufFile, DecodesHandBuiltBlocks) {
  // Q4_0: weight j of a block is the low nibble of byte j, weight j + 16 the high one, minus 8.
  gguf_tensor_spec q4{"q4", 2, {64, 1}, {}};
  for (int blk = 0; blk < 2; ++blk) {
    const std::uint16_t d = float_to_half(blk == 0 ? 0.5f : -2.0f);
    q4.data.push_back(static_cast<std::uint8_t>(d));
    q4.data.push_back(static_cast<std::uint8_t>(d >> 8));
    for (int j = 0; j < 16; ++j) q4.data.push_back(static_cast<std::uint8_t>(j | ((15 - j) << 4)));
  }
  std::vector<std::uint8_t> f16, bf16;
  for (float v : {1.5f, -0.125f, 65504.0f, 6e-8f}) {
    const std::uint16_t h = float_to_half(v), b = static_cast<std::uint16_t>(float_bits(v) >> 16);
    f16.insert(f16.end(), {static_cast<std::uint8_t>(h), static_cast<std::uint8_t>(h >> 8)});
    bf16.insert(bf16.end(), {static_cast<std::uint8_t>(b), static_cast<std::uint8_t>(b >> 8)});
  }
  const auto f = build_gguf({}, {q4, {"f16", 1, {2, 2}, f16}, {"bf16", 30, {4}, bf16},
                                 q8_0_tensor("q8", 3, 64), {"f32", 0, {3}, f32_bytes({1, -0.0f, 1e30f})}});
  const gguf_file g = parse(f);
  std::vector<float> y(64);
  g.dequantize("q4", y.data());
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], 0.5f * float(j - 8));
    EXPECT_EQ(y[j + 16], 0.5f * float(15 - j - 8));
    EXPECT_EQ(y[32 + j], -2.0f * float(j - 8));
    EXPECT_EQ(y[48 + j], -2.0f * float(15 - j - 8));
  }
  g.dequantize("f16", y.data());
  EXPECT_EQ(y[0], 1.5f);
  EXPECT_EQ(y[1], -0.125f);
  EXPECT_EQ(y[2], 65504.0f);
  EXPECT_EQ(y[3], half_to_float(float_to_half(6e-8f)));
  g.dequantize("bf16", y.data());
  EXPECT_EQ(y[0], 1.5f);
  EXPECT_EQ(y[2], bf16_to_float(static_cast<std::uint16_t>(float_bits(65504.0f) >> 16)));  // truncated, as written
  std::vector<float> q8(3 * 64);
  g.dequantize("q8", q8.data());
  for (std::size_t r = 0; r < 3; ++r)
    for (std::size_t i = 0; i < 64; ++i)
      EXPECT_EQ(q8[r * 64 + i], std::ldexp(1.0f, -static_cast<int>(r)) * float(int((i % 32 + i / 32) % 128) - 64));
  std::vector<float> row(64);
  g.dequantize_rows("q8", 2, 1, row.data());
  EXPECT_EQ(0, std::memcmp(row.data(), q8.data() + 128, 64 * 4));
  g.dequantize("f32", y.data());
  EXPECT_EQ(y[2], 1e30f);
  EXPECT_TRUE(std::signbit(y[1]));
  EXPECT_THROW(g.dequantize_rows("q8", 2, 2, row.data()), actsparse::error);
  EXPECT_THROW(g.dequantize("q8", nullptr), actsparse::error);

  ASSERT_EQ(g.tensors().size(), 5u);
  const auto& t = g.find("f16");
  EXPECT_EQ(t.type, "F16");
  EXPECT_EQ(t.shape, (std::vector<std::uint64_t>{2, 2}));
  EXPECT_EQ(t.bytes, 8u);
  EXPECT_EQ(t.offset % 32, 0u);
  EXPECT_EQ(g.find("q8").bytes, 3u * 2 * 34);
}

TEST(GgufFile, MapsFilesAndHonoursTheAlignment) {
  const auto f = build_gguf({kv<std::uint32_t>("general.alignment", kU32, 256)},
                            {{"a", 0, {3}, f32_bytes({1, 2, 3})}, {"b", 0, {2}, f32_bytes({4, 5})}}, 256);
  const std::string path = ::testing::TempDir() + "actsparse_align.gguf";
  {
    std::ofstream o(path, std::ios::binary);
    o.write(reinterpret_cast<const char*>(f.data()), static_cast<std::streamsize>(f.size()));
  }
  const gguf_file g(path);
  EXPECT_EQ(g.alignment(), 256u);
  EXPECT_EQ(g.data_offset() % 256, 0u);
  EXPECT_EQ(g.find("b").offset, g.data_offset() + 256);
  std::vector<float> y(2);
  g.dequantize("b", y.data());
  EXPECT_EQ(y, (std::vector<float>{4, 5}));
  const gguf_file copy = g;  // copies share the mapping
  copy.dequantize("b", y.data());
  EXPECT_EQ(y[1], 5.0f);
  std::remove(path.c_str());
  try {
    gguf_file missing(path);
    ADD_FAILURE() << "no error";
  } catch (const actsparse::error& e) {
    EXPECT_CONTAINS(e.what(), "cannot open");
  }
}

TEST(GgufFile, EveryTruncationThrows) {
  const auto f = small_model();
  for (std::size_t n = 0; n < f.size(); ++n) {
    const std::string m = parse_error(f.data(), n);
    ASSERT_FALSE(m.empty()) << "a file cut to " << n << " of " << f.size() << " bytes parsed";
    ASSERT_TRUE(m.find("byte offset") != std::string::npos || m.find("past the end") != std::string::npos) << m;
  }
  EXPECT_EQ(parse_error(f), "");
}

TEST(GgufFile, BadHeaders) {
  auto f = small_model();
  f.w.b[0] = 'X';
  EXPECT_CONTAINS(parse_error(f), "magic at byte offset 0: not a GGUF file");
  f = small_model();
  f.w.patch<std::uint32_t>(4, 1);
  EXPECT_CONTAINS(parse_error(f), "GGUF version 1 is not supported; legal versions are 2 and 3");
  f.w.patch<std::uint32_t>(4, 4);
  EXPECT_CONTAINS(parse_error(f), "version at byte offset 4");
  f.w.patch<std::uint32_t>(4, 3u << 24);  // a big-endian version 3
  EXPECT_CONTAINS(parse_error(f), "big-endian");
  f.w.patch<std::uint32_t>(4, 2);  // version 2 is read like 3
  EXPECT_EQ(parse_error(f), "");
}

TEST(GgufFile, CountsAndLengthsThatCannotFit) {
  auto f = small_model();
  f.w.patch<std::uint64_t>(f.kv_count_at, 1ull << 62);
  EXPECT_CONTAINS(parse_error(f), "metadata_kv_count at byte offset 16");
  f = small_model();
  f.w.patch<std::uint64_t>(f.tensor_count_at, ~0ull);
  EXPECT_CONTAINS(parse_error(f), "tensor_count at byte offset 8");
  f = small_model();
  f.w.patch<std::uint64_t>(f.kv_at[0], ~0ull);  // the first key's length
  EXPECT_CONTAINS(parse_error(f), "metadata[0] key at byte offset 24: string length 18446744073709551615 runs past");
  f = small_model();
  f.w.patch<std::uint64_t>(f.tensor_info_at[1], 1ull << 40);
  EXPECT_CONTAINS(parse_error(f), "tensor_info[1] name");
  // An array whose count promises more elements than bytes remain.
  auto a = build_gguf({kv_strings("a", {"x", "y"})}, {});
  a.w.patch<std::uint64_t>(a.kv_at[0] + 8 + 1 + 4 + 4, 1ull << 59);
  EXPECT_CONTAINS(parse_error(a), "array of 576460752303423488 string values cannot fit");
}

TEST(GgufFile, TensorDataOutsideTheFileOrOverlapping) {
  auto f = small_model();
  f.w.patch<std::uint64_t>(f.offset_at[1], 1ull << 20);
  EXPECT_CONTAINS(parse_error(f), "runs past the end of the file");
  f = small_model();
  f.w.patch<std::uint64_t>(f.offset_at[1], ~0ull - 31);  // offset + bytes overflows
  EXPECT_CONTAINS(parse_error(f), "runs past the end of the file");
  f = small_model();
  f.w.patch<std::uint64_t>(f.offset_at[1], 8);
  EXPECT_CONTAINS(parse_error(f), "is not a multiple of the alignment 32");
  f = small_model();
  f.w.patch<std::uint64_t>(f.offset_at[1], 0);  // on top of norm.weight
  EXPECT_CONTAINS(parse_error(f), "overlaps tensor 'norm.weight'");
}

TEST(GgufFile, ShapesAndTypes) {
  auto bad_shape = [](std::vector<std::uint64_t> shape, std::uint32_t type = 0) {
    return parse_error(build_gguf({}, {{"t", type, shape, std::vector<std::uint8_t>(64, 0)}}));
  };
  EXPECT_CONTAINS(bad_shape({1ull << 40, 1ull << 40}), "the element count overflows");
  EXPECT_CONTAINS(bad_shape({}), "n_dims at byte offset");
  EXPECT_CONTAINS(bad_shape({1, 1, 1, 1, 1}), "5 dimensions; legal values are 1 to 4");
  EXPECT_CONTAINS(bad_shape({4, 0}), "ne[1] at byte offset");
  EXPECT_CONTAINS(bad_shape({48}, 8), "48 is not a multiple of Q8_0's block of 32");
  EXPECT_CONTAINS(bad_shape({100}, 0), "runs past the end of the file");  // 400 bytes, 64 there
}

TEST(GgufFile, DuplicatesAndBadStrings) {
  EXPECT_CONTAINS(parse_error(build_gguf({kv_string("k", "a"), kv_string("k", "b")}, {})), "duplicate key 'k'");
  const std::vector<std::uint8_t> four(16, 0);
  EXPECT_CONTAINS(parse_error(build_gguf({}, {{"t", 0, {4}, four}, {"t", 0, {4}, four}})), "duplicate tensor name 't'");
  for (const std::string& bad : {std::string("\xff"), std::string("\xc0\xaf"), std::string("\xed\xa0\x80"),
                                std::string("ab\xe2\x82"), std::string("\xf4\x90\x80\x80")}) {
    EXPECT_CONTAINS(parse_error(build_gguf({kv_string(bad, "v")}, {})), "metadata[0] key at byte offset 32: string is not valid UTF-8");
    EXPECT_CONTAINS(parse_error(build_gguf({kv_string("k", bad)}, {})), "string is not valid UTF-8");
    EXPECT_CONTAINS(parse_error(build_gguf({}, {{bad, 0, {4}, four}})), "tensor_info[0] name");
  }
}

TEST(GgufFile, BadValues) {
  EXPECT_CONTAINS(parse_error(build_gguf({kv<std::uint8_t>("b", kBool, 2)}, {})), "bool is 2; legal values are 0 and 1");
  const gguf_kv bools{"bools", [](gguf_bytes& w) {
                        w.put<std::uint32_t>(kArray);
                        w.put<std::uint32_t>(kBool);
                        w.put<std::uint64_t>(3);
                        for (std::uint8_t b : {1, 0, 7}) w.put<std::uint8_t>(b);
                      }};
  EXPECT_CONTAINS(parse_error(build_gguf({bools}, {})), "'bools' value[2] at byte offset");
  EXPECT_CONTAINS(parse_error(build_gguf({kv<std::uint32_t>("x", 13, 0)}, {})), "value type 13 is not a GGUF type");
  const gguf_kv deep{"deep", [](gguf_bytes& w) {
                       w.put<std::uint32_t>(kArray);
                       for (int i = 0; i < 20; ++i) {
                         w.put<std::uint32_t>(kArray);
                         w.put<std::uint64_t>(1);
                       }
                       w.put<std::uint32_t>(kU8);
                       w.put<std::uint64_t>(0);
                     }};
  EXPECT_CONTAINS(parse_error(build_gguf({deep}, {})), "arrays nest deeper than 8 levels");
  EXPECT_CONTAINS(parse_error(build_gguf({kv<std::uint32_t>("general.alignment", kU32, 48)}, {})), "not a power of two");
  EXPECT_CONTAINS(parse_error(build_gguf({kv<std::uint32_t>("general.alignment", kU32, 0)}, {})), "not a power of two");
  EXPECT_CONTAINS(parse_error(build_gguf({kv_string("general.alignment", "32")}, {})), "it must be uint32");
}

TEST(GgufFile, TypesItCannotDecodeAreListedButNotRead) {
  const auto f = build_gguf({}, {{"iq", 20, {32, 2}, std::vector<std::uint8_t>(36, 0)},
                                 {"future", 99, {8}, std::vector<std::uint8_t>(8, 0)}});
  const gguf_file g = parse(f);
  EXPECT_EQ(g.find("iq").type, "IQ4_NL");
  EXPECT_EQ(g.find("iq").bytes, 36u);
  EXPECT_EQ(g.find("future").type, "type 99");
  std::vector<float> y(64);
  try {
    g.dequantize("iq", y.data());
    ADD_FAILURE() << "no error";
  } catch (const actsparse::error& e) {
    EXPECT_CONTAINS(e.what(), "tensor 'iq' has type IQ4_NL, which actsparse cannot decode; supported types are F32");
  }
  EXPECT_THROW(g.pack("future", {4, 32}), actsparse::error);
}

TEST(GgufFile, PackEqualsPackOfTheDequantizedMatrix) {
  // Random Q4_K and Q6_K super-blocks with sane scales, and an F16 matrix.
  std::mt19937 rng(3);
  const std::size_t N = 128, K = 512;
  auto kquant = [&](std::uint32_t type, std::size_t size, std::size_t d_at) {
    gguf_tensor_spec t{"w" + std::to_string(type), type, {K, N}, std::vector<std::uint8_t>(N * K / 256 * size)};
    for (auto& b : t.data) b = static_cast<std::uint8_t>(rng());
    for (std::size_t blk = 0; blk < N * K / 256; ++blk) {
      const std::uint16_t d = float_to_half(0.001f * float(rng() % 100 + 1)), dmin = float_to_half(0.0005f);
      std::memcpy(&t.data[blk * size + d_at], &d, 2);
      if (type == 12) std::memcpy(&t.data[blk * size + 2], &dmin, 2);
    }
    return t;
  };
  gguf_tensor_spec h{"h", 1, {K, N}, std::vector<std::uint8_t>(N * K * 2)};
  std::normal_distribution<float> normal(0.0f, 0.05f);
  for (std::size_t i = 0; i < N * K; ++i) {
    const std::uint16_t v = float_to_half(normal(rng));
    std::memcpy(&h.data[2 * i], &v, 2);
  }
  const auto f = build_gguf({}, {kquant(12, 144, 0), kquant(14, 210, 208), h});
  const gguf_file g = parse(f);
  for (const std::string name : {"w12", "w14", "h"}) {
    std::vector<float> w(N * K);
    g.dequantize(name, w.data());
    for (int bits : {2, 3, 4, 5, 6, 8})
      for (int group : {32, 64, 128}) {
        const packed_matrix a = g.pack(name, {bits, group});
        const packed_matrix b = pack(w.data(), N, K, {bits, group});
        ASSERT_EQ(a.bytes(), b.bytes());
        EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.bytes())) << name << " bits " << bits << " g " << group;
      }
  }
}

TEST(GgufFile, PackErrorsNameTheTensor) {
  std::vector<float> v(64 * 48, 0.5f);
  v[5 * 64 + 3] = 1e6f;  // beyond fp16
  std::vector<float> small(32 * 64, 0.25f);
  const auto f = build_gguf({}, {{"wide", 0, {64, 48}, f32_bytes(v)},
                                 {"vec", 0, {64}, f32_bytes(std::vector<float>(64, 1))},
                                 {"cube", 0, {32, 32, 2}, f32_bytes(small)}});
  const gguf_file g = parse(f);
  auto message = [&](const char* name, quant_config cfg) { return error_message([&] { g.pack(name, cfg); }); };
  EXPECT_CONTAINS(message("wide", {4, 32}), "'wide' has ne1 = 48 outputs, not a multiple of group_size = 32");
  EXPECT_CONTAINS(message("wide", {7, 32}), "bits = 7 is not supported; legal values are 2, 3, 4, 5, 6, 8");
  EXPECT_CONTAINS(message("vec", {4, 32}), "'vec' has ne1 = 1 outputs");
  EXPECT_CONTAINS(message("cube", {4, 32}), "'cube' has 3 dimensions; pack takes a 2-D weight");
  const auto f2 = build_gguf({}, {{"big", 0, {64, 64}, f32_bytes([&] {
                                     std::vector<float> w(64 * 64, 0.5f);
                                     w[40 * 64 + 7] = INFINITY;
                                     return w;
                                   }())}});
  const gguf_file g2 = parse(f2);
  try {
    g2.pack("big", {4, 32});
    ADD_FAILURE() << "no error";
  } catch (const actsparse::error& e) {
    EXPECT_CONTAINS(e.what(), "tensor 'big' row 40 column 7 is inf");
  }
}

TEST(QuantTable, ParsesTheDecodeSyntax) {
  const quant_table t = quant_table::parse("default=3,down=6,lm_head=8", 32);
  EXPECT_EQ(t.for_projection("down").bits, 6);
  EXPECT_EQ(t.for_projection("lm_head").bits, 8);
  EXPECT_EQ(t.for_projection("q").bits, 3);
  EXPECT_EQ(t.for_projection("q").group_size, 32);
  EXPECT_EQ(quant_table::parse("5").for_projection("up").bits, 5);
  EXPECT_EQ(quant_table::parse("down=2").for_projection("v").bits, 4);  // default stays 4
  for (const char* bad : {"7", "", "down", "down=7", "foo=4", "down=4x", "default=4,,up=2"}) {
    try {
      quant_table::parse(bad);
      ADD_FAILURE() << "'" << bad << "' parsed";
    } catch (const actsparse::error& e) {
      const std::string m = e.what();
      EXPECT_TRUE(m.find("2, 3, 4, 5, 6, 8") != std::string::npos || m.find("names are") != std::string::npos ||
                  m.find("empty") != std::string::npos)
          << m;
    }
  }
  EXPECT_THROW(quant_table::parse("4", 48), actsparse::error);
}

TEST(GgufFile, PackModelFollowsTheTable) {
  std::vector<float> w(64 * 64, 0.125f);
  const auto f = build_gguf({}, {{"token_embd.weight", 0, {64, 64}, f32_bytes(w)},
                                 {"blk.0.attn_norm.weight", 0, {64}, f32_bytes(std::vector<float>(64, 1))},
                                 {"blk.0.attn_q.weight", 0, {64, 64}, f32_bytes(w)},
                                 {"blk.0.ffn_down.weight", 0, {64, 64}, f32_bytes(w)}});
  const gguf_file g = parse(f);
  const auto m = g.pack_model(quant_table::parse("default=4,down=6,lm_head=8", 32));
  ASSERT_EQ(m.size(), 3u);  // tied embeddings: token_embd serves as lm_head
  EXPECT_EQ(m[0].first, "token_embd.weight");
  EXPECT_EQ(m[0].second.bits(), 8);
  EXPECT_EQ(m[1].first, "blk.0.attn_q.weight");
  EXPECT_EQ(m[1].second.bits(), 4);
  EXPECT_EQ(m[2].second.bits(), 6);
  EXPECT_EQ(m[2].second.group_size(), 32);
  EXPECT_EQ(detail::gguf_projection("blk.12.attn_output.weight"), "o");
  EXPECT_EQ(detail::gguf_projection("output.weight"), "lm_head");
  EXPECT_EQ(detail::gguf_projection("output_norm.weight"), "");
}

// ---- model_file.hpp

namespace {

std::string model_path(const char* tag) { return ::testing::TempDir() + "actsparse_" + tag + ".aspk"; }

std::vector<std::uint8_t> read_file(const std::string& path) {
  std::ifstream i(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(i), {});
}
void write_file(const std::string& path, const std::vector<std::uint8_t>& b) {
  std::ofstream o(path, std::ios::binary);
  o.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

}  // namespace

TEST(ModelFile, RoundTripsMatricesAndVectorsWithoutACopy) {
  std::mt19937 rng(9);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> w1(192 * 40), w2(64 * 7), v{1.5f, -2.0f, 3.0f};
  for (auto& x : w1) x = normal(rng);
  for (auto& x : w2) x = normal(rng);
  const packed_matrix A = pack(w1.data(), 192, 40, {3, 64}), B = pack(w2.data(), 64, 7, {8, 32});
  const std::string path = model_path("roundtrip");
  write_model_file(path, {{"a", &A, nullptr, 0}, {"norm", nullptr, v.data(), v.size()}, {"b", &B, nullptr, 0}});
  const model_file m(path);
  ASSERT_EQ(m.tensors().size(), 3u);
  EXPECT_EQ(m.tensors()[1].name, "norm");
  for (const auto& [name, ref] : {std::pair<const char*, const packed_matrix*>{"a", &A}, {"b", &B}}) {
    const packed_matrix W = m.matrix(name);
    EXPECT_FALSE(W.owns_data());
    EXPECT_EQ(W.rows(), ref->rows());
    EXPECT_EQ(W.config().bits, ref->bits());
    EXPECT_EQ(0, std::memcmp(W.data(), ref->data(), ref->bytes()));
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(W.data()) % kStripAlign, 0u);
  }
  EXPECT_EQ(std::vector<float>(m.values("norm"), m.values("norm") + 3), v);
  EXPECT_THROW(m.values("a"), actsparse::error);
  EXPECT_THROW(m.matrix("norm"), actsparse::error);
  EXPECT_THROW(m.matrix("missing"), actsparse::error);
  std::remove(path.c_str());
}

TEST(ModelFile, DamagedFilesAreRefusedByName) {
  std::vector<float> w(64 * 5, 0.5f);
  const packed_matrix A = pack(w.data(), 64, 5, {4, 64});
  const std::string path = model_path("damaged");
  write_model_file(path, {{"a", &A, nullptr, 0}});
  const auto good = read_file(path);
  auto error_of = [&](std::vector<std::uint8_t> b) {
    write_file(path, b);
    return error_message([&] { model_file m(path); });
  };
  EXPECT_EQ(error_of(good), "");
  auto flipped = good;
  flipped[good.size() - kDataAlign + 3] ^= 0x10;  // one bit of the data
  EXPECT_CONTAINS(error_of(flipped), "checksum mismatch");
  EXPECT_CONTAINS(error_of(std::vector<std::uint8_t>(good.begin(), good.end() - 1)), "truncated");
  EXPECT_CONTAINS(error_of(std::vector<std::uint8_t>(good.begin(), good.begin() + 20)), "48-byte header");
  auto magic = good;
  magic[0] = 'X';
  EXPECT_CONTAINS(error_of(magic), "not an actsparse model file");
  auto version = good;
  version[8] = 9;
  EXPECT_CONTAINS(error_of(version), "version 9 is not supported");
  std::remove(path.c_str());
  // A write that cannot complete leaves no file, and no temporary one.
  const std::string nowhere = ::testing::TempDir() + "no/such/dir/m.aspk";
  EXPECT_THROW(write_model_file(nowhere, {{"a", &A, nullptr, 0}}), actsparse::error);
  EXPECT_THROW(write_model_file(path, {{"a", &A, nullptr, 0}, {"a", &A, nullptr, 0}}), actsparse::error);
  EXPECT_TRUE(read_file(path).empty());
  EXPECT_TRUE(read_file(path + ".tmp").empty());
}

TEST(ModelFile, FromMemoryBorrowsTheBufferAndNeedsItAlignedForViews) {
  std::vector<float> w(64 * 6, -0.25f), v{2.0f, 0.5f};
  w[7] = 1.0f;
  const packed_matrix A = pack(w.data(), 64, 6, {5, 32});
  const std::string path = model_path("memory");
  write_model_file(path, {{"a", &A, nullptr, 0}, {"norm", nullptr, v.data(), v.size()}});
  const auto bytes = read_file(path);
  std::remove(path.c_str());
  auto error_of = [](auto&& f) { return error_message(f); };
  // One buffer, the file copied at an aligned start and at one byte past it.
  std::vector<std::uint8_t> raw(bytes.size() + 2 * kStripAlign);
  std::uint8_t* aligned = raw.data() + (kStripAlign - reinterpret_cast<std::uintptr_t>(raw.data()) % kStripAlign) % kStripAlign;
  std::memcpy(aligned, bytes.data(), bytes.size());
  const model_file m = model_file::from_memory(aligned, bytes.size(), "weights.aspk");
  const packed_matrix W = m.matrix("a");
  EXPECT_FALSE(W.owns_data());
  EXPECT_EQ(W.data(), aligned + m.find("a").offset);  // a view into the buffer, not a copy
  EXPECT_EQ(0, std::memcmp(W.data(), A.data(), A.bytes()));
  EXPECT_EQ(m.values("norm"), reinterpret_cast<const float*>(aligned + m.find("norm").offset));
  EXPECT_EQ(std::vector<float>(m.values("norm"), m.values("norm") + 2), v);

  std::memmove(aligned + 1, aligned, bytes.size());
  const model_file off = model_file::from_memory(aligned + 1, bytes.size(), "weights.aspk");
  EXPECT_EQ(off.tensors().size(), 2u);  // parsing does not need alignment; views do
  EXPECT_CONTAINS(error_of([&] { (void)off.matrix("a"); }), "weights.aspk: tensor 'a': the buffer is not aligned to kStripAlign");
  EXPECT_CONTAINS(error_of([&] { (void)off.values("norm"); }), "not aligned");

  // The path constructor's checks, with the given name (or "<memory>") in the messages.
  std::memmove(aligned, aligned + 1, bytes.size());
  aligned[bytes.size() - kDataAlign + 1] ^= 1;
  EXPECT_CONTAINS(error_of([&] { (void)model_file::from_memory(aligned, bytes.size(), "weights.aspk"); }), "weights.aspk: checksum mismatch");
  EXPECT_EQ(model_file::from_memory(aligned, bytes.size(), "weights.aspk", false).tensors().size(), 2u);
  EXPECT_CONTAINS(error_of([&] { (void)model_file::from_memory(aligned, 47); }), "<memory>: only 47 bytes");
  EXPECT_CONTAINS(error_of([&] { (void)model_file::from_memory(nullptr, 64); }), "data is null");
  EXPECT_CONTAINS(error_of([&] { (void)model_file::from_memory(nullptr, 0); }), "only 0 bytes");
}
