// Consumer check: the dispatching library from C++, against the dequantized weights (the
// format header comes with actsparse::dispatch; no xsimd or OpenMP flags are needed).
#include <actsparse/dispatch.hpp>
#include <cmath>
#include <cstdio>
#include <vector>

int main() {
  std::vector<float> w(64 * 3), x = {0.5f, 0.0f, -2.0f}, y(64), wd(64 * 3);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = std::sin(float(i));
  const auto W = actsparse::pack(w.data(), 64, 3, {4, 64});
  actsparse::dispatch::gemv(W, x.data(), y.data());
  actsparse::dequantize(W, wd.data());
  for (std::size_t n = 0; n < 64; ++n)
    if (std::fabs(y[n] - (wd[n * 3] * x[0] + wd[n * 3 + 2] * x[2])) > 1e-5f) return 1;
  std::printf("dispatch consumer: %s\n", actsparse::dispatch::name(actsparse::dispatch::active()));
  return 0;
}
