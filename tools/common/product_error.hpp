// tools/common/product_error.hpp: how far a kernel's y lies from the double-precision
// product of the same packed weights, max |y - ref| / max |ref|. Both programs that time the
// kernels report it beside their int8 rows (actsparse-bench's max_rel_err counter, the
// decode benchmark's per-run error), so both measure it the same way.
#pragma once

#include <actsparse/actsparse.hpp>
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <type_traits>
#include <vector>

namespace product_error {

// The double-precision product of W (packed_matrix or panel_matrix, dequantized from its
// codes) and x.
template <class Matrix>
std::vector<double> reference(const Matrix& W, const float* x) {
  std::vector<double> ref(W.rows(), 0.0);
  auto add = [&](const actsparse::packed_matrix& P, std::size_t first) {
    const std::size_t g = static_cast<std::size_t>(P.group_size());
    for (std::size_t k = 0; k < P.cols(); ++k) {
      if (x[k] == 0.0f) continue;
      for (std::size_t n = 0; n < P.rows(); ++n)
        ref[first + n] += double(x[k]) * (double(actsparse::half_to_float(P.scales(k)[n / g])) * P.code(k, n) +
                                          double(actsparse::half_to_float(P.biases(k)[n / g])));
    }
  };
  if constexpr (std::is_same<Matrix, actsparse::packed_matrix>::value) {
    add(W, 0);
  } else {
    for (std::size_t b = 0; b < W.panels(); ++b) add(W.panel(b), W.first_row(b));
  }
  return ref;
}

// max |y - ref| / max |ref| (max |y - ref| when ref is all zero): the rounding of the
// kernel's arithmetic.
inline double rel_err(const std::vector<double>& ref, const float* y) {
  double err = 0, mag = 0;
  for (std::size_t n = 0; n < ref.size(); ++n) {
    err = std::max(err, std::abs(double(y[n]) - ref[n]));
    mag = std::max(mag, std::abs(ref[n]));
  }
  return mag > 0 ? err / mag : err;
}

template <class Matrix>
double max_rel_err(const Matrix& W, const float* x, const std::vector<float>& y) {
  return rel_err(reference(W, x), y.data());
}

}  // namespace product_error
