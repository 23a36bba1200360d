// tests/test_detect.cpp: detect.hpp, find_active on this binary's ISA against its definition.
#include "test_common.hpp"

using namespace actsparse;
using namespace actsparse_test;

namespace {
std::vector<std::uint32_t> by_definition(const float* x, std::size_t n, float t) {
  std::vector<std::uint32_t> idx;
  for (std::size_t k = 0; k < n; ++k)
    if (std::isnan(x[k]) || std::abs(x[k]) > t) idx.push_back(static_cast<std::uint32_t>(k));
  return idx;
}
}  // namespace

class FindActive : public ::testing::Test {
 protected:
};

// Lengths around the vector width, misaligned starts, mixed specials, several thresholds.
TEST_F(FindActive, MatchesTheDefinition) {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<std::size_t> lengths = {0, 1, kV - 1, kV, kV + 1, 2 * kV + 3, 8 * kV + 2, 1000};
  std::uint32_t seed = 0;
  for (std::size_t n : lengths)
    for (std::size_t off : {0, 1, 3})
      for (double s : {0.0, 0.5, 0.9, 1.0}) {
        std::vector<float> buf(n + off + 1);
        auto x = sparse_x(n, s, ++seed);
        if (n > 5) x[1] = -0.0f, x[2] = inf, x[3] = std::nanf(""), x[4] = -inf, x[5] = 1e-30f;
        std::copy(x.begin(), x.end(), buf.begin() + static_cast<std::ptrdiff_t>(off));
        const float* xp = buf.data() + off;
        for (float t : {0.0f, 0.5f, 2.0f}) {
          std::vector<std::uint32_t> idx(n + 1);
          const std::size_t m = find_active(test_arch{}, xp, n, t, idx.data() + (off ? 1 : 0));
          idx.erase(idx.begin(), idx.begin() + (off ? 1 : 0));
          idx.resize(m);
          ASSERT_EQ(idx, by_definition(xp, n, t)) << "n=" << n << " off=" << off << " s=" << s << " t=" << t;
          std::vector<std::uint32_t> ref(n + 1);
          ref.resize(find_active_ref(xp, n, t, ref.data()));
          ASSERT_EQ(ref, idx);
        }
      }
}

TEST_F(FindActive, ZeroThresholdSkipsBothZeros) {
  const std::vector<float> x = {0.0f, -0.0f, 1e-45f, -1e-45f, 0.0f};
  std::vector<std::uint32_t> idx(x.size());
  ASSERT_EQ(find_active(test_arch{}, x.data(), x.size(), 0.0f, idx.data()), 2u);
  EXPECT_EQ(idx[0], 2u);
  EXPECT_EQ(idx[1], 3u);
}

TEST_F(FindActive, BadArgumentsAreNamed) {
  std::vector<float> x(4, 1.0f);
  std::vector<std::uint32_t> idx(4, 99);
  auto expect_error = [&](auto&& call, const char* needle) {
    try {
      call();
      ADD_FAILURE() << "no error";
    } catch (const actsparse::error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
    EXPECT_EQ(idx, std::vector<std::uint32_t>(4, 99)) << "idx written before the error";
  };
  expect_error([&] { find_active(x.data(), 4, -0.5f, idx.data()); }, "threshold = -0.5");
  expect_error([&] { find_active(x.data(), 4, std::nanf(""), idx.data()); }, "threshold");
  expect_error([&] { find_active(x.data(), 4, std::numeric_limits<float>::infinity(), idx.data()); }, "must be finite");
  expect_error([&] { find_active(nullptr, 4, 0.0f, idx.data()); }, "x is null");
  expect_error([&] { find_active(x.data(), 4, 0.0f, nullptr); }, "idx is null");
  EXPECT_EQ(find_active(nullptr, 0, 0.0f, nullptr), 0u);  // empty input is fine
}
