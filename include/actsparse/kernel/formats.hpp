// actsparse/kernel/formats.hpp: the one place where a matrix's runtime bits and group size
// become template parameters (MLX's switch ladder), driven by the lists of legal values in
// format.hpp. An unsupported value raises actsparse::error listing the legal ones (packed
// matrices are checked when made, so this only fires on a corrupted one).
#pragma once

#include "../config.hpp"

#include <type_traits>

#include "../error.hpp"
#include "../format.hpp"

ACTSPARSE_NAMESPACE_BEGIN
namespace detail {

template <int Bits, class F, int... G>
inline void with_group_in(int group, F& f, int_list<G...>) {
  const bool hit =
      ((group == G ? (f(std::integral_constant<int, Bits>{}, std::integral_constant<int, G>{}), true) : false) || ...);
  if (!hit) fail("gemv", "group_size = ", group, " is not supported; legal values are ", legal_groups_list{});
}

template <class F, int... B>
inline void with_bits_in(int bits, int group, F& f, int_list<B...>) {
  const bool hit = ((bits == B ? (with_group_in<B>(group, f, legal_groups_list{}), true) : false) || ...);
  if (!hit) fail("gemv", "bits = ", bits, " is not supported; legal values are ", legal_bits_list{});
}

// Calls f(std::integral_constant<int, bits>, std::integral_constant<int, group>) for W's format.
template <class F>
inline void with_format(const packed_matrix& W, F&& f) {
  with_bits_in(W.bits(), W.group_size(), f, legal_bits_list{});
}

}  // namespace detail
ACTSPARSE_NAMESPACE_END  // namespace actsparse
