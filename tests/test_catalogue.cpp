// tests/test_catalogue.cpp: the catalogue of bad inputs (docs/robustness.md) walked row by
// row. Each case calls the API with caller buffers filled with a sentinel byte and checks
// three things: actsparse::error is thrown (nothing else) with a message naming the
// parameter or field and the legal values; every caller buffer still holds the sentinel,
// byte for byte; the test's folder holds the same files with the same bytes as before (no
// file left behind, none changed). The last case reads docs/robustness.md and checks that
// every test the catalogue names exists, so the document and the tests cannot drift.
#include <gtest/gtest.h>
#include <unistd.h>

#include <actsparse/actsparse.hpp>
#include <actsparse/gguf.hpp>
#include <actsparse/model_file.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "gguf_writer.hpp"

using namespace actsparse;
namespace fs = std::filesystem;

namespace {

constexpr unsigned char kSentinel = 0xA5;
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// A caller buffer of n elements, every byte the sentinel.
template <class T>
std::vector<T> sentinel(std::size_t n) {
  std::vector<T> v(n);
  std::memset(static_cast<void*>(v.data()), kSentinel, n * sizeof(T));
  return v;
}

struct span {
  const void* p;
  std::size_t bytes;
};
template <class T>
span whole(const std::vector<T>& v) {
  return {v.data(), v.size() * sizeof(T)};
}

std::string read_all(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

void write_all(const fs::path& p, const std::string& bytes) {
  std::ofstream f(p, std::ios::binary);
  f << bytes;
}

class Catalogue : public ::testing::Test {
 protected:
  fs::path dir;

  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir = fs::temp_directory_path() / ("actsparse-catalogue-" + std::to_string(getpid()) + "-" + info->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }

  std::string path(const std::string& name) const { return (dir / name).string(); }

  // Every file under dir with its bytes.
  std::map<std::string, std::string> listing() const {
    std::map<std::string, std::string> files;
    for (const auto& e : fs::recursive_directory_iterator(dir))
      files[fs::relative(e.path(), dir).string()] = e.is_regular_file() ? read_all(e.path()) : "<dir>";
    return files;
  }

  // The row's contract: actsparse::error whose message holds every needle, the buffers
  // untouched, the folder as it was.
  void expect_rejected(const std::function<void()>& call, const std::vector<std::string>& needles,
                       const std::vector<span>& buffers = {}) {
    const auto before = listing();
    try {
      call();
      ADD_FAILURE() << "accepted; expected an error naming: " << ::testing::PrintToString(needles);
    } catch (const actsparse::error& e) {
      const std::string msg = e.what();
      for (const auto& n : needles) EXPECT_NE(msg.find(n), std::string::npos) << "'" << n << "' not in: " << msg;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "threw another type than actsparse::error: " << e.what();
    }
    for (std::size_t i = 0; i < buffers.size(); ++i) {
      const auto* b = static_cast<const unsigned char*>(buffers[i].p);
      std::size_t changed = 0;
      for (std::size_t j = 0; j < buffers[i].bytes; ++j) changed += b[j] != kSentinel;
      EXPECT_EQ(changed, 0u) << "caller buffer " << i << ": " << changed << " of " << buffers[i].bytes
                             << " bytes written";
    }
    EXPECT_EQ(listing(), before) << "files were left behind or changed";
  }
};

// A small good matrix: 128 outputs x 16 inputs, 4-bit groups of 64.
constexpr std::size_t N = 128, K = 16;
packed_matrix small_matrix() {
  std::vector<float> w(N * K);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = std::sin(0.37f * static_cast<float>(i));
  return pack(w.data(), N, K, {4, 64});
}
std::vector<float> input(std::size_t n) {
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = (i % 3 == 0) ? 0.0f : 0.5f + static_cast<float>(i);
  return x;
}

// ---- Packing and the format

TEST_F(Catalogue, PackBits) {
  const auto w = input(N * K);
  for (int bits : {0, 1, 7, 9, -4})
    expect_rejected([&] { pack(w.data(), N, K, {bits, 64}); },
                    {"pack", "bits = " + std::to_string(bits), "legal values are 2, 3, 4, 5, 6, 8"});
}

TEST_F(Catalogue, PackGroupSize) {
  const auto w = input(N * K);
  for (int g : {0, 16, 48, 256})
    expect_rejected([&] { pack(w.data(), N, K, {4, g}); },
                    {"pack", "group_size = " + std::to_string(g), "legal values are 32, 64, 128"});
}

TEST_F(Catalogue, PackShape) {
  const auto w = input(N * K);
  expect_rejected([&] { pack(w.data(), 96, K, {4, 64}); }, {"rows = 96", "multiple of group_size = 64"});
  expect_rejected([&] { pack(w.data(), 0, K, {4, 64}); }, {"rows = 0", "positive multiple of group_size"});
  expect_rejected([&] { pack(w.data(), N, 0, {4, 64}); }, {"cols = 0", "must be positive"});
  expect_rejected([&] { packed_matrix(N, std::size_t{1} << 33, {4, 64}); }, {"cols = 8589934592", "2^32 - 1"});
}

TEST_F(Catalogue, PackNullWeights) {
  expect_rejected([&] { pack(static_cast<const float*>(nullptr), N, K, {4, 64}); }, {"pack", "w is null"});
}

TEST_F(Catalogue, PackWeightOutsideFp16) {
  for (float bad : {kNaN, kInf, 70000.0f}) {
    auto w = input(N * K);
    w[5 * K + 2] = bad;
    expect_rejected([&] { pack(w.data(), N, K, {4, 64}); }, {"w[5][2]", "finite value within the fp16 range", "65504"});
  }
}

TEST_F(Catalogue, FromMlxNullArrays) {
  const auto wq = sentinel<std::uint32_t>(K * N * 4 / 32);
  const auto s = sentinel<std::uint16_t>(K * N / 64);
  expect_rejected([&] { from_mlx(nullptr, s.data(), s.data(), N, K, {4, 64}); }, {"from_mlx", "wq is null"});
  expect_rejected([&] { from_mlx(wq.data(), nullptr, s.data(), N, K, {4, 64}); }, {"from_mlx", "scales is null"});
  expect_rejected([&] { from_mlx(wq.data(), s.data(), nullptr, N, K, {4, 64}); }, {"from_mlx", "biases is null"});
  expect_rejected([&] { from_mlx(wq.data(), s.data(), s.data(), N, K, {5, 48}); }, {"group_size = 48", "32, 64, 128"});
}

TEST_F(Catalogue, FromMlxScaleOutsideFp16) {
  const auto wq = sentinel<std::uint32_t>(K * N * 4 / 32);
  std::vector<float> s(K * N / 64, 0.01f), b(K * N / 64, 0.0f);
  s[3] = 1e6f;
  expect_rejected([&] { from_mlx(wq.data(), s.data(), b.data(), N, K, {4, 64}, element_type::f32); },
                  {"from_mlx", "scales[1][1]", "fp16 range"});
  s[3] = kNaN;
  expect_rejected([&] { from_mlx(wq.data(), s.data(), b.data(), N, K, {4, 64}, element_type::f32); },
                  {"scales[1][1]", "not a finite value"});
}

TEST_F(Catalogue, ToMlxNullOrEmpty) {
  const packed_matrix W = small_matrix();
  auto wq = sentinel<std::uint32_t>(K * N * 4 / 32);
  auto s = sentinel<std::uint16_t>(K * N / 64), b = sentinel<std::uint16_t>(K * N / 64);
  const std::vector<span> outs = {whole(wq), whole(s), whole(b)};
  expect_rejected([&] { to_mlx(W, nullptr, s.data(), b.data()); }, {"to_mlx", "wq is null"}, outs);
  expect_rejected([&] { to_mlx(W, wq.data(), nullptr, b.data()); }, {"to_mlx", "scales is null"}, outs);
  expect_rejected([&] { to_mlx(W, wq.data(), s.data(), nullptr); }, {"to_mlx", "biases is null"}, outs);
  expect_rejected([&] { to_mlx(packed_matrix{}, wq.data(), s.data(), b.data()); }, {"to_mlx", "W is empty"}, outs);
}

TEST_F(Catalogue, DequantizeNullOrEmpty) {
  auto out = sentinel<float>(N * K);
  expect_rejected([&] { dequantize(packed_matrix{}, out.data()); }, {"dequantize", "W is empty"}, {whole(out)});
  expect_rejected([&] { dequantize(small_matrix(), nullptr); }, {"dequantize", "w_out is null"});
}

TEST_F(Catalogue, BorrowMisalignedOrNull) {
  const packed_matrix W = small_matrix();
  expect_rejected([&] { packed_matrix::borrow(W.data() + 4, N, K, W.config()); },
                  {"packed_matrix::borrow", "data is not aligned to kStripAlign = " + std::to_string(kStripAlign)});
  expect_rejected([&] { packed_matrix::borrow(nullptr, N, K, W.config()); }, {"packed_matrix::borrow", "data is null"});
  expect_rejected([&] { packed_matrix::borrow(W.data(), N, K, {7, 64}); }, {"bits = 7", "2, 3, 4, 5, 6, 8"});
}

TEST_F(Catalogue, BorrowTooShort) {
  const packed_matrix W = small_matrix();
  const std::size_t need = W.bytes() + kTailPad;
  expect_rejected([&] { packed_matrix::borrow(W.data(), need - 1, N, K, W.config()); },
                  {"packed_matrix::borrow", "size = " + std::to_string(need - 1), "needs bytes() + kTailPad = " +
                                                                                       std::to_string(need)});
  EXPECT_EQ(packed_matrix::borrow(W.data(), need, N, K, W.config()).data(), W.data());
}

TEST_F(Catalogue, PanelsOutOfRange) {
  const packed_matrix W = small_matrix();  // 2 groups
  expect_rejected([&] { panel_matrix(W, 0); }, {"panels = 0", "legal values are 1 to W.groups() = 2"});
  expect_rejected([&] { panel_matrix(W, 3); }, {"panels = 3", "legal values are 1 to W.groups() = 2"});
  expect_rejected([&] { panel_matrix(packed_matrix{}, 1); }, {"panel_matrix", "W is empty"});
}

// ---- Detection

TEST_F(Catalogue, FindActiveThreshold) {
  const auto x = input(K);
  auto idx = sentinel<std::uint32_t>(K);
  expect_rejected([&] { find_active(x.data(), K, -0.5f, idx.data()); }, {"find_active", "threshold = -0.5",
                                                                        "must be finite and >= 0"}, {whole(idx)});
  expect_rejected([&] { find_active(x.data(), K, kNaN, idx.data()); }, {"threshold = nan", "must be finite and >= 0"},
                  {whole(idx)});
  expect_rejected([&] { find_active(x.data(), K, kInf, idx.data()); }, {"threshold = inf", "must be finite and >= 0"},
                  {whole(idx)});
}

TEST_F(Catalogue, FindActiveNull) {
  const auto x = input(K);
  auto idx = sentinel<std::uint32_t>(K);
  expect_rejected([&] { find_active(nullptr, K, 0.0f, idx.data()); }, {"find_active", "x is null"}, {whole(idx)});
  expect_rejected([&] { find_active(x.data(), K, 0.0f, nullptr); }, {"find_active", "idx is null", "n entries"});
}

// Found by this catalogue: idx overlapping x was accepted; the list written into x's
// memory changed x while it was being read (wrong indices, and the caller's x overwritten).
TEST_F(Catalogue, FindActiveIdxOverlapsX) {
  auto buf = sentinel<float>(2 * K);
  auto* idx = reinterpret_cast<std::uint32_t*>(buf.data() + 1);
  expect_rejected([&] { find_active(buf.data(), K, 0.0f, idx); }, {"find_active", "idx", "overlaps x"}, {whole(buf)});
  expect_rejected([&] { find_active(buf.data(), K, 0.0f, reinterpret_cast<std::uint32_t*>(buf.data())); },
                  {"overlaps x"}, {whole(buf)});
}

TEST_F(Catalogue, FindActiveUnionThreshold) {
  const auto X = input(3 * K);
  auto idx = sentinel<std::uint32_t>(K);
  expect_rejected([&] { find_active_union(X.data(), 3, K, kNaN, idx.data()); },
                  {"find_active_union", "threshold", "must be finite and >= 0"}, {whole(idx)});
  expect_rejected([&] { find_active_union(nullptr, 3, K, 0.0f, idx.data()); }, {"find_active_union", "X is null"},
                  {whole(idx)});
}

// ---- Products (gemv, gemm; panel matrices in tests/test_panels.cpp)

TEST_F(Catalogue, GemvNullOrEmpty) {
  const packed_matrix W = small_matrix();
  const auto x = input(K);
  auto y = sentinel<float>(N);
  expect_rejected([&] { gemv_dense(packed_matrix{}, x.data(), y.data()); }, {"gemv_dense", "W is empty"}, {whole(y)});
  expect_rejected([&] { gemv_dense(W, nullptr, y.data()); }, {"gemv_dense", "x is null"}, {whole(y)});
  expect_rejected([&] { gemv(W, x.data(), nullptr); }, {"gemv", "y is null"});
}

TEST_F(Catalogue, GemvOverlap) {
  const packed_matrix W = small_matrix();
  auto xy = sentinel<float>(N + K);
  expect_rejected([&] { gemv_dense(W, xy.data(), xy.data() + K - 1); },
                  {"gemv_dense", "y (128 floats) overlaps x (16 floats)", "in place"}, {whole(xy)});
  expect_rejected([&] { gemv(W, xy.data() + 1, xy.data()); }, {"gemv", "overlaps x"}, {whole(xy)});
}

TEST_F(Catalogue, GemvSparseIndex) {
  const packed_matrix W = small_matrix();
  const auto x = input(K);
  auto y = sentinel<float>(N);
  const std::vector<std::uint32_t> bad = {1, 3, 16};
  expect_rejected([&] { gemv_sparse(W, x.data(), bad.data(), 3, y.data()); },
                  {"gemv_sparse", "idx[2] = 16", "indices must be < cols = 16"}, {whole(y)});
  expect_rejected([&] { gemv_sparse(W, x.data(), nullptr, 2, y.data()); }, {"gemv_sparse", "idx is null but nnz = 2"},
                  {whole(y)});
}

// Found by this catalogue: idx overlapping y was accepted; the kernel rewrites y tile by
// tile while it reads idx for every tile, so later tiles read floats as indices (reads far
// outside W).
TEST_F(Catalogue, GemvSparseIdxOverlapsY) {
  const packed_matrix W = small_matrix();
  const auto x = input(K);
  auto y = sentinel<float>(N);
  expect_rejected([&] { gemv_sparse(W, x.data(), reinterpret_cast<std::uint32_t*>(y.data()), 4, y.data()); },
                  {"gemv_sparse", "idx (nnz = 4 entries) overlaps the output"}, {whole(y)});
}

TEST_F(Catalogue, GemvThreshold) {
  const packed_matrix W = small_matrix();
  const auto x = input(K);
  auto y = sentinel<float>(N);
  for (float t : {-1.0f, kNaN, kInf})
    expect_rejected([&] { gemv(W, x.data(), y.data(), t); }, {"gemv", "threshold = ", "must be finite and >= 0"},
                    {whole(y)});
}

TEST_F(Catalogue, GemvThreads) {
  const packed_matrix W = small_matrix();
  const auto x = input(K);
  auto y = sentinel<float>(N);
  expect_rejected([&] { gemv_dense(W, x.data(), y.data(), {-2}); },
                  {"gemv_dense", "options.threads = -2", "must be >= 0"}, {whole(y)});
}

TEST_F(Catalogue, GemvPrecision) {
  const packed_matrix W = small_matrix();
  const auto x = input(K);
  auto y = sentinel<float>(N);
  gemv_options bad;
  bad.precision = static_cast<actsparse::precision>(7);
  expect_rejected([&] { gemv_dense(W, x.data(), y.data(), bad); },
                  {"gemv_dense", "options.precision = 7", "legal: exact = 0, int8 = 1"}, {whole(y)});
  // int8 sums each block of 32 active inputs at once, so its index lists must be ascending.
  gemv_options int8;
  int8.precision = actsparse::precision::int8;
  const std::uint32_t idx[3] = {0, 5, 2};
  expect_rejected([&] { gemv_sparse(W, x.data(), idx, 3, y.data(), int8); },
                  {"gemv_sparse", "idx[2] = 2", "strictly ascending"}, {whole(y)});
}

TEST_F(Catalogue, GemmNullOrOverlap) {
  const packed_matrix W = small_matrix();
  constexpr std::size_t m = 3;
  const auto X = input(m * K);
  auto Y = sentinel<float>(m * N);
  expect_rejected([&] { gemm(W, nullptr, m, Y.data()); }, {"gemm", "X is null"}, {whole(Y)});
  expect_rejected([&] { gemm(W, X.data(), m, nullptr); }, {"gemm", "Y is null"});
  auto XY = sentinel<float>(m * (N + K));
  expect_rejected([&] { gemm(W, XY.data(), m, XY.data() + 3); }, {"gemm", "overlaps X"}, {whole(XY)});
  expect_rejected([&] { gemm(W, X.data(), m, Y.data(), kNaN); }, {"gemm", "threshold", "finite and >= 0"}, {whole(Y)});
}

TEST_F(Catalogue, GemmSparseIndex) {
  const packed_matrix W = small_matrix();
  constexpr std::size_t m = 3;
  const auto X = input(m * K);
  auto Y = sentinel<float>(m * N);
  const std::vector<std::uint32_t> bad = {0, 99};
  expect_rejected([&] { gemm_sparse(W, X.data(), m, bad.data(), 2, Y.data()); },
                  {"gemm_sparse", "idx[1] = 99", "< cols = 16"}, {whole(Y)});
  // The list inside the last row of Y: found by this catalogue, as for gemv_sparse.
  expect_rejected([&] { gemm_sparse(W, X.data(), m, reinterpret_cast<std::uint32_t*>(Y.data() + 2 * N), 2, Y.data()); },
                  {"gemm_sparse", "overlaps the output"}, {whole(Y)});
}

// ---- Calibration and threshold tables

TEST_F(Catalogue, CalibratorArguments) {
  threshold_calibrator c;
  expect_rejected([&] { c.threshold_for(0.5); }, {"threshold_for", "no samples were added"});
  expect_rejected([&] { c.add(nullptr, 3); }, {"threshold_calibrator::add", "x is null"});
  const auto x = input(K);
  c.add(x.data(), K);
  for (double s : {-0.1, 1.5, std::nan("")})
    expect_rejected([&] { c.threshold_for(s); }, {"threshold_for", "sparsity = ", "must be in [0, 1]"});
}

TEST_F(Catalogue, ThresholdTableSet) {
  threshold_table t;
  for (float v : {-1.0f, kNaN, kInf})
    expect_rejected([&] { t.set("down", v); }, {"threshold_table::set", "threshold for 'down'", "finite and >= 0"});
  expect_rejected([&] { t.set("has space", 1.0f); }, {"threshold_table::set", "one token without spaces or '#'"});
  EXPECT_TRUE(t.entries().empty());
}

TEST_F(Catalogue, ThresholdTableMissing) {
  expect_rejected([&] { threshold_table::load(path("absent.txt")); }, {"threshold_table::load", "cannot open", "absent.txt"});
}

TEST_F(Catalogue, ThresholdTableTruncatedOrWrongKind) {
  write_all(dir / "empty.txt", "");
  expect_rejected([&] { threshold_table::load(path("empty.txt")); },
                  {"empty.txt", "lacks the header 'actsparse-thresholds 1'"});
  write_all(dir / "cut.txt", "actsparse-thresholds 1\nlayers.0.down 0.25\nlayers.1.down");
  expect_rejected([&] { threshold_table::load(path("cut.txt")); }, {"cut.txt' line 3", "expected '<name> <threshold>'"});
  write_all(dir / "gguf.txt", std::string("GGUF\3\0\0\0", 8));
  expect_rejected([&] { threshold_table::load(path("gguf.txt")); },
                  {"gguf.txt' line 1", "expected the header 'actsparse-thresholds 1'"});
}

TEST_F(Catalogue, ThresholdTableNewerVersion) {
  write_all(dir / "v2.txt", "actsparse-thresholds 2\nlayers.0.down 0.25\n");
  expect_rejected([&] { threshold_table::load(path("v2.txt")); },
                  {"v2.txt' line 1", "version '2' is not supported; this build reads version 1"});
}

TEST_F(Catalogue, ThresholdTableBadValue) {
  for (const char* v : {"-0.5", "nan", "inf", "0.5x"}) {
    write_all(dir / "bad.txt", std::string("actsparse-thresholds 1\nlayers.0.down ") + v + "\n");
    expect_rejected([&] { threshold_table::load(path("bad.txt")); },
                    {"bad.txt' line 2", std::string("threshold '") + v + "' is not a finite number >= 0"});
  }
}

TEST_F(Catalogue, ThresholdTableSaveUnwritable) {
  threshold_table t;
  t.set("down", 0.25f);
  expect_rejected([&] { t.save(path("no-such-dir/t.txt")); }, {"threshold_table::save", "cannot write",
                                                              "no-such-dir/t.txt.tmp"});
  fs::create_directories(dir / "taken");  // the target is a folder: the rename fails
  expect_rejected([&] { t.save(path("taken")); }, {"threshold_table::save", "cannot rename"});
}

// ---- GGUF files (the field-by-field cases: tests/test_gguf.cpp)

TEST_F(Catalogue, GgufMissing) {
  expect_rejected([&] { gguf_file f(path("absent.gguf")); }, {"gguf_file", "cannot open", "absent.gguf"});
  expect_rejected([&] { gguf_file f(dir.string()); }, {"gguf_file", "is not a regular file"});
}

actsparse_test::gguf_built tiny_gguf() {
  std::vector<std::uint8_t> data(4 * 64 * 32);
  for (std::size_t i = 0; i < data.size(); i += 4) {
    const float v = 0.01f * static_cast<float>(i % 97);
    std::memcpy(data.data() + i, &v, 4);
  }
  return actsparse_test::build_gguf({actsparse_test::kv_string("general.architecture", "llama")},
                                    {{"blk.0.attn_q.weight", 0, {32, 64}, data}});
}

TEST_F(Catalogue, GgufWrongKind) {
  auto g = tiny_gguf();
  g.w.b[0] = 'X';
  expect_rejected([&] { gguf_file::from_memory(g.data(), g.size(), "x.gguf"); },
                  {"x.gguf", "magic at byte offset 0", "not a GGUF file"});
}

TEST_F(Catalogue, GgufNewerVersion) {
  auto g = tiny_gguf();
  g.w.patch<std::uint32_t>(4, 4);
  expect_rejected([&] { gguf_file::from_memory(g.data(), g.size(), "v4.gguf"); },
                  {"version at byte offset 4", "GGUF version 4 is not supported; legal versions are 2 and 3"});
}

TEST_F(Catalogue, GgufTruncated) {
  const auto g = tiny_gguf();
  for (std::size_t cut : {std::size_t{3}, std::size_t{20}, g.data_at - 1, g.size() - 1})
    expect_rejected([&] { gguf_file::from_memory(g.data(), cut, "cut.gguf"); }, {"cut.gguf", "at byte offset"});
}

TEST_F(Catalogue, GgufOversizedCounts) {
  auto g = tiny_gguf();
  g.w.patch<std::uint64_t>(g.tensor_count_at, std::uint64_t{1} << 40);
  expect_rejected([&] { gguf_file::from_memory(g.data(), g.size(), "big.gguf"); },
                  {"tensor_count at byte offset 8", "cannot fit in the"});
}

TEST_F(Catalogue, GgufDequantizeArguments) {
  const auto g = tiny_gguf();
  const gguf_file f = gguf_file::from_memory(g.data(), g.size());
  auto out = sentinel<float>(64 * 32);
  expect_rejected([&] { f.dequantize("blk.0.attn_q.weight", nullptr); }, {"gguf_file::dequantize", "out is null"});
  expect_rejected([&] { f.dequantize_rows("blk.0.attn_q.weight", 60, 8, out.data()); },
                  {"dequantize_rows", "rows [60, 68)", "blk.0.attn_q.weight"}, {whole(out)});
  expect_rejected([&] { f.dequantize("blk.9.attn_q.weight", out.data()); }, {"tensor 'blk.9.attn_q.weight' is not in the file"},
                  {whole(out)});
}

TEST_F(Catalogue, QuantTableBits) {
  expect_rejected([&] { quant_table::parse("7"); }, {"quant_table::parse", "'7': bits must be one of 2, 3, 4, 5, 6, 8"});
  expect_rejected([&] { quant_table::parse("default=4,gates=3"); },
                  {"'gates' is not a projection", "names are default, q, k, v, o, gate, up, down, lm_head"});
  expect_rejected([&] { quant_table::parse("4", 48); }, {"group_size = 48", "32, 64, 128"});
  expect_rejected([&] { quant_table::parse(""); }, {"the table is empty"});
}

// ---- Model files (write_model_file, model_file)

std::string good_model(const fs::path& p) {
  const packed_matrix W = small_matrix();
  const std::vector<float> norm(64, 1.0f);
  write_model_file(p.string(), {{"blk.0.attn_q.weight", &W, nullptr, 0}, {"blk.0.attn_norm.weight", nullptr, norm.data(), 64}});
  return read_all(p);
}

TEST_F(Catalogue, ModelFileMissing) {
  expect_rejected([&] { model_file f(path("absent.aspk")); }, {"model_file", "cannot open", "absent.aspk"});
}

TEST_F(Catalogue, ModelFileWrongKind) {
  const auto g = tiny_gguf();
  write_all(dir / "model.gguf", std::string(reinterpret_cast<const char*>(g.data()), g.size()));
  expect_rejected([&] { model_file f(path("model.gguf")); },
                  {"model.gguf", "not an actsparse model file (magic is not ASPKMODL)"});
}

TEST_F(Catalogue, ModelFileNewerVersion) {
  std::string b = good_model(dir / "m.aspk");
  b[8] = 2;
  write_all(dir / "m.aspk", b);
  expect_rejected([&] { model_file f(path("m.aspk")); }, {"version 2 is not supported; this build reads version 1"});
}

TEST_F(Catalogue, ModelFileTruncated) {
  const std::string b = good_model(dir / "m.aspk");
  for (std::size_t cut : {std::size_t{0}, std::size_t{47}, std::size_t{4096}, b.size() - 1}) {
    write_all(dir / "m.aspk", b.substr(0, cut));
    expect_rejected([&] { model_file f(path("m.aspk")); }, {"m.aspk", cut < 48 ? "48-byte header" : "truncated"});
  }
}

TEST_F(Catalogue, ModelFileOversized) {
  write_all(dir / "m.aspk", good_model(dir / "m.aspk") + std::string(100, '\0'));
  expect_rejected([&] { model_file f(path("m.aspk")); }, {"m.aspk", "the header says", "appended to"});
}

TEST_F(Catalogue, ModelFileDamaged) {
  std::string b = good_model(dir / "m.aspk");
  b[b.size() / 2] ^= 0x10;
  write_all(dir / "m.aspk", b);
  expect_rejected([&] { model_file f(path("m.aspk")); }, {"checksum mismatch", "convert the model again"});
}

TEST_F(Catalogue, ModelFileWriteBadTensor) {
  const packed_matrix W = small_matrix();
  const std::string old = good_model(dir / "m.aspk");
  expect_rejected([&] { write_model_file(path("m.aspk"), {{"a", &W, nullptr, 0}, {"a", &W, nullptr, 0}}); },
                  {"write_model_file", "tensor 'a' is listed twice"});
  expect_rejected([&] { write_model_file(path("m.aspk"), {{"a", nullptr, nullptr, 0}}); },
                  {"tensor 'a': give either a matrix or values"});
  const packed_matrix empty;
  expect_rejected([&] { write_model_file(path("m.aspk"), {{"a", &empty, nullptr, 0}}); }, {"the matrix is empty"});
  EXPECT_EQ(read_all(dir / "m.aspk"), old);
}

TEST_F(Catalogue, ModelFileWriteUnwritable) {
  const packed_matrix W = small_matrix();
  expect_rejected([&] { write_model_file(path("no-such-dir/m.aspk"), {{"a", &W, nullptr, 0}}); },
                  {"write_model_file", "cannot write", "no-such-dir/m.aspk.tmp"});
  fs::create_directories(dir / "taken" / "inside");  // a non-empty folder cannot be renamed over
  expect_rejected([&] { write_model_file(path("taken"), {{"a", &W, nullptr, 0}}); },
                  {"write_model_file", "cannot rename"});
}

// ---- The catalogue in docs/robustness.md names only tests that exist, and names every
// case of this file.

#ifndef ACTSPARSE_SOURCE_DIR
#error "ACTSPARSE_SOURCE_DIR must name the source tree (tests/CMakeLists.txt sets it)"
#endif

TEST(CatalogueDoc, EveryRowNamesATestThatExists) {
  const fs::path root = ACTSPARSE_SOURCE_DIR;
  const std::string doc = read_all(root / "docs" / "robustness.md");
  const std::size_t begin = doc.find("## Catalogue of bad inputs");
  ASSERT_NE(begin, std::string::npos) << "docs/robustness.md lacks the section 'Catalogue of bad inputs'";
  const std::size_t end = doc.find("\n## ", begin + 1);
  const std::string section = doc.substr(begin, end == std::string::npos ? std::string::npos : end - begin);

  // Every test source, and every gtest name defined in one.
  std::map<std::string, std::string> files;  // file name -> text (test scripts, test_capi.c)
  std::map<std::string, std::string> gtests;  // Suite.Name -> file
  const std::regex def(R"(TEST(?:_F|_P)?\(\s*(\w+)\s*,\s*(\w+)\s*\))");
  for (const auto& e : fs::recursive_directory_iterator(root / "tests")) {
    if (!e.is_regular_file()) continue;
    const std::string text = read_all(e.path());
    files[e.path().filename().string()] = text;
    for (std::sregex_iterator m(text.begin(), text.end(), def), none; m != none; ++m)
      gtests[(*m)[1].str() + "." + (*m)[2].str()] = e.path().filename().string();
  }

  // Table rows: | input | what the user gets | test |. The test cell holds `Suite.Name`
  // (a gtest) or `file.sh "label"` / `file.c "label"` / `file.py "label"` (a check in a test script or C test,
  // found by its file name anywhere under tests/), one or more.
  std::istringstream in(section);
  std::string line;
  std::size_t rows = 0, refs = 0;
  std::map<std::string, bool> named;
  const std::regex gtest_ref(R"(`(\w+)\.(\w+)`)");
  const std::regex script_ref(R"re(`([\w.-]+\.(?:sh|c|py)) "([^"`]+)"`)re");
  while (std::getline(in, line)) {
    if (line.rfind("| ", 0) != 0 || line.rfind("| input", 0) == 0) continue;
    const std::size_t last = line.rfind(" | ", line.size() - 3);
    ASSERT_NE(last, std::string::npos) << line;
    const std::string cell = line.substr(last);
    ++rows;
    std::size_t here = 0;
    for (std::sregex_iterator m(cell.begin(), cell.end(), gtest_ref), none; m != none; ++m, ++here) {
      const std::string name = (*m)[1].str() + "." + (*m)[2].str();
      EXPECT_TRUE(gtests.count(name)) << "the catalogue names " << name << ", which no test in tests/ defines: " << line;
      named[name] = true;
    }
    for (std::sregex_iterator m(cell.begin(), cell.end(), script_ref), none; m != none; ++m, ++here) {
      const auto it = files.find((*m)[1].str());
      if (it == files.end()) {
        ADD_FAILURE() << "no file " << (*m)[1].str() << " in tests/: " << line;
        continue;
      }
      EXPECT_NE(it->second.find("\"" + (*m)[2].str() + "\""), std::string::npos)
          << it->first << " has no check labelled \"" << (*m)[2].str() << "\": " << line;
    }
    EXPECT_GT(here, 0u) << "a catalogue row names no test: " << line;
    refs += here;
  }
  EXPECT_GE(rows, 40u) << "the catalogue table was not found or lost rows";
  for (const auto& [name, file] : gtests) {
    if (file == "test_catalogue.cpp" && name.rfind("Catalogue.", 0) == 0) {
      EXPECT_TRUE(named.count(name)) << name << " is not named by any row of the catalogue";
    }
  }
  std::printf("catalogue: %zu rows, %zu test references, all defined\n", rows, refs);
}

}  // namespace
