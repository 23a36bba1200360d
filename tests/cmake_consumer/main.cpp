// Consumer check: one small product through the installed headers, against dequantize.
#include <actsparse/actsparse.hpp>
#include <cmath>
#include <vector>

int main() {
  std::vector<float> w(64 * 3), x = {0.5f, 0.0f, -2.0f}, y(64), wd(64 * 3);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = std::sin(float(i));
  const auto W = actsparse::pack(w.data(), 64, 3, {4, 64});
  actsparse::gemv(W, x.data(), y.data());
  actsparse::dequantize(W, wd.data());
  for (std::size_t n = 0; n < 64; ++n)
    if (std::fabs(y[n] - (wd[n * 3] * x[0] + wd[n * 3 + 2] * x[2])) > 1e-5f) return 1;
  return 0;
}
