// tests/test_format.cpp: format.hpp. pack() against an independent transcription of MLX's
// quantize-and-pack, the MLX round trip, dequantize, sources, layout, errors.
#include "test_common.hpp"
#include "mlx_reference.hpp"

#include <cstring>

using namespace actsparse;
using namespace actsparse_test;

TEST(Format, PackMatchesMlxQuantizeOfTheTranspose) {
  for (int bits : kBits)
    for (int g : kGroups) {
      SCOPED_TRACE(::testing::Message() << "bits=" << bits << " g=" << g);
      const std::size_t N = 3 * static_cast<std::size_t>(g), K = 11;
      const auto w = random_normal(N * K, static_cast<std::uint32_t>(bits * 1000 + g), 0.1f);
      const packed_matrix W = pack(w.data(), N, K, {bits, g});
      const mlx_arrays ref = mlx_quantize_transposed(w, N, K, bits, g);
      mlx_arrays got{std::vector<std::uint32_t>(ref.wq.size()), std::vector<std::uint16_t>(ref.scales.size()),
                     std::vector<std::uint16_t>(ref.biases.size())};
      to_mlx(W, got.wq.data(), got.scales.data(), got.biases.data());
      EXPECT_EQ(got.wq, ref.wq);
      EXPECT_EQ(got.scales, ref.scales);
      EXPECT_EQ(got.biases, ref.biases);
    }
}

TEST(Format, MlxRoundTripIsBitExact) {
  std::mt19937 rng(5);
  for (int bits : kBits)
    for (int g : kGroups) {
      const std::size_t N = 2 * static_cast<std::size_t>(g), K = 7;
      std::vector<std::uint32_t> wq(K * N * static_cast<std::size_t>(bits) / 32);
      std::vector<std::uint16_t> s(K * N / static_cast<std::size_t>(g)), b(s.size());
      for (auto& v : wq) v = rng();
      for (auto& v : s) v = static_cast<std::uint16_t>(rng());  // any bits, NaN included
      for (auto& v : b) v = static_cast<std::uint16_t>(rng());
      const packed_matrix W = from_mlx(wq.data(), s.data(), b.data(), N, K, {bits, g});
      std::vector<std::uint32_t> wq2(wq.size());
      std::vector<std::uint16_t> s2(s.size()), b2(b.size());
      to_mlx(W, wq2.data(), s2.data(), b2.data());
      EXPECT_EQ(wq, wq2);
      EXPECT_EQ(s, s2);
      EXPECT_EQ(b, b2);
    }
}

// Dequantized weights sit on the nearest point of their group's grid, up to what storing
// scale and bias in fp16 moves (2^-11 relative each).
// MLX models in bf16 carry bf16 scales and biases: imported by rounding them to fp16.
TEST(Format, FromMlxConvertsBfloat16Scales) {
  const std::size_t N = 64, K = 3;
  std::vector<std::uint32_t> wq(K * N * 4 / 32, 0x76543210u);
  std::vector<std::uint16_t> s(K * N / 32), b(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    s[i] = static_cast<std::uint16_t>(float_bits(0.01f * float(i + 1)) >> 16);
    b[i] = static_cast<std::uint16_t>(float_bits(-0.5f) >> 16);
  }
  const packed_matrix W = from_mlx(wq.data(), s.data(), b.data(), N, K, {4, 32}, element_type::bf16);
  for (std::size_t k = 0; k < K; ++k)
    for (std::size_t j = 0; j < 2; ++j) {
      EXPECT_EQ(W.scales(k)[j], float_to_half(bf16_to_float(s[k * 2 + j])));
      EXPECT_EQ(half_to_float(W.biases(k)[j]), -0.5f);
    }
  EXPECT_EQ(W.code(1, 9), 1u);  // word 0x76543210: code i of each word is i
  s[4] = static_cast<std::uint16_t>(float_bits(1e9f) >> 16);
  try {
    from_mlx(wq.data(), s.data(), b.data(), N, K, {4, 32}, element_type::bf16);
    ADD_FAILURE() << "no error";
  } catch (const actsparse::error& e) {
    EXPECT_NE(std::string(e.what()).find("scales[2][0]"), std::string::npos) << e.what();
  }
}

TEST(Format, DequantizeGivesTheNearestGridPoint) {
  for (int bits : kBits) {
    const std::size_t N = 128, K = 5;
    const auto w = random_normal(N * K, static_cast<std::uint32_t>(bits));
    const packed_matrix W = pack(w.data(), N, K, {bits, 64});
    std::vector<float> d(N * K);
    dequantize(W, d.data());
    const int top = (1 << bits) - 1;
    for (std::size_t n = 0; n < N; ++n)
      for (std::size_t k = 0; k < K; ++k) {
        const double s = half_to_float(W.scales(k)[n / 64]), b = half_to_float(W.biases(k)[n / 64]);
        const double v = w[n * K + k];
        double best = std::numeric_limits<double>::infinity();
        for (int q = 0; q <= top; ++q) best = std::min(best, std::abs(s * q + b - v));
        const double slack = 2 * std::ldexp(1.0, -11) * (std::abs(s) * top + std::abs(b)) + 1e-7;
        ASSERT_LE(std::abs(d[n * K + k] - v), best + slack) << "bits=" << bits << " n=" << n << " k=" << k;
      }
  }
}

TEST(Format, HalfAndBfloat16SourcesPackLikeTheirFloatValues) {
  const std::size_t N = 64, K = 9;
  const auto w = random_normal(N * K, 21);
  std::vector<std::uint16_t> h(N * K), bf(N * K);
  std::vector<float> hf(N * K), bff(N * K);
  for (std::size_t i = 0; i < w.size(); ++i) {
    h[i] = float_to_half(w[i]);
    hf[i] = half_to_float(h[i]);
    bf[i] = static_cast<std::uint16_t>(float_bits(w[i]) >> 16);
    bff[i] = bf16_to_float(bf[i]);
  }
  const auto a = pack(h.data(), element_type::f16, N, K, {4, 32});
  const auto b = pack(hf.data(), N, K, {4, 32});
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.bytes()));
  const auto c = pack(bf.data(), element_type::bf16, N, K, {4, 32});
  const auto d = pack(bff.data(), N, K, {4, 32});
  EXPECT_EQ(0, std::memcmp(c.data(), d.data(), c.bytes()));
}

TEST(Format, StripsAreAlignedAndSized) {
  for (int bits : kBits)
    for (int g : kGroups) {
      const std::size_t N = 5 * static_cast<std::size_t>(g), K = 3;
      const packed_matrix W(N, K, {bits, g});
      EXPECT_EQ(W.codes_bytes(), N * static_cast<std::size_t>(bits) / 8);
      EXPECT_EQ(W.strip_bytes() % kStripAlign, 0u);
      EXPECT_GE(W.strip_bytes(), W.codes_bytes() + 4 * N / static_cast<std::size_t>(g));
      EXPECT_LT(W.strip_bytes(), W.codes_bytes() + 4 * N / static_cast<std::size_t>(g) + kStripAlign);
      EXPECT_EQ(W.bytes(), W.strip_bytes() * K);
      for (std::size_t k = 0; k < K; ++k) EXPECT_EQ(reinterpret_cast<std::uintptr_t>(W.strip(k)) % kStripAlign, 0u);
    }
  // 4096 x 4096 at 4 bits, g = 64: 2048 code bytes + 256 scale/bias bytes, no padding:
  // 4.5 bits per weight, as MLX.
  const packed_matrix big(4096, 1, {4, 64});
  EXPECT_EQ(big.strip_bytes() * 8.0 / 4096, 4.5);
}

TEST(Format, CopiesAreDeepAndEqual) {
  const auto w = random_normal(64 * 3, 4);
  const packed_matrix a = pack(w.data(), 64, 3, {3, 64});
  packed_matrix b = a;
  EXPECT_NE(a.data(), b.data());
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.bytes()));
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.data()) % kStripAlign, 0u);
  packed_matrix c = std::move(b);
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(c.rows(), 64u);
}

TEST(Format, ErrorsNameTheParameterAndTheLegalValues) {
  const std::vector<float> w(128 * 4, 0.5f);
  auto expect_error = [](auto&& call, std::initializer_list<const char*> needles) {
    try {
      call();
      ADD_FAILURE() << "no error";
    } catch (const actsparse::error& e) {
      for (const char* n : needles) EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what();
    }
  };
  expect_error([&] { pack(w.data(), 128, 4, {7, 64}); }, {"pack", "bits = 7", "2, 3, 4, 5, 6, 8"});
  expect_error([&] { pack(w.data(), 128, 4, {4, 16}); }, {"group_size = 16", "32, 64, 128"});
  expect_error([&] { pack(w.data(), 96, 4, {4, 64}); }, {"rows = 96", "multiple of group_size = 64"});
  expect_error([&] { pack(w.data(), 0, 4, {4, 64}); }, {"rows = 0"});
  expect_error([&] { pack(w.data(), 128, 0, {4, 64}); }, {"cols = 0"});
  expect_error([&] { pack(static_cast<const float*>(nullptr), 128, 4, {4, 64}); }, {"w is null"});
  auto bad = w;
  bad[5 * 4 + 2] = std::nanf("");
  expect_error([&] { pack(bad.data(), 128, 4, {4, 64}); }, {"w[5][2]", "finite"});
  bad[5 * 4 + 2] = 1e6f;
  expect_error([&] { pack(bad.data(), 128, 4, {4, 64}); }, {"w[5][2]", "65504"});
  std::vector<std::uint32_t> wq(64);
  std::vector<std::uint16_t> s(8);
  expect_error([&] { from_mlx(wq.data(), s.data(), nullptr, 64, 4, {4, 32}); }, {"from_mlx", "biases is null"});
  expect_error([&] { from_mlx(wq.data(), s.data(), s.data(), 64, 4, {5, 48}); }, {"group_size = 48"});
  const packed_matrix W(64, 4, {4, 32});
  expect_error([&] { to_mlx(W, nullptr, s.data(), s.data()); }, {"to_mlx", "wq is null"});
  expect_error([&] { to_mlx(packed_matrix{}, wq.data(), s.data(), s.data()); }, {"W is empty"});
  std::vector<float> out(4, 3.0f);
  expect_error([&] { dequantize(packed_matrix{}, out.data()); }, {"dequantize", "W is empty"});
  EXPECT_EQ(out, std::vector<float>(4, 3.0f));
}
