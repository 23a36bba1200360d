// tests/fuzz/fuzz_profiles.cpp: libFuzzer target for the target profiles file
// (roofline/targets.cpp: parse_target_profiles, the body of load_profiles, which `actsparse
// project --profiles-file` reads), under the contract of fuzz_roofline.hpp. Every accepted
// profile is then projected as `actsparse project` does (Llama-3-8B, 4-bit g64, dense and
// TEAL-style at 50%).
#include "fuzz_roofline.hpp"
#include "projection.hpp"
#include "targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<roofline::target_profile> profiles;
  if (!fuzz::accepted([&] { profiles = roofline::parse_target_profiles(fuzz::text(data, size), fuzz::kName); }))
    return 0;
  const roofline::model_shape& m = roofline::find_model("llama-3-8b");
  for (const auto& p : profiles) {
    fuzz::check(p.line >= 1);
    (void)roofline::find_profile(profiles, p.name);
    (void)roofline::project(m, 4, 64, {roofline::sparsity_kind::dense, 0}, p);
    (void)roofline::project(m, 4, 64, {roofline::sparsity_kind::all, 0.5}, p);
  }
  return 0;
}
