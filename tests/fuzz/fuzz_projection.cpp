// tests/fuzz/fuzz_projection.cpp: libFuzzer target for the bits and sparsity tables of
// `actsparse decode` (roofline/projection.cpp, projection_table): the input as an inline table
// (--bits default=4,v=6,down=6: parse_inline) and, when it is JSON, as a table file
// (--bits-file, --sparsity-file: parse_json on parse_json_text, what load() does), under
// the contract of fuzz_roofline.hpp. An accepted table then goes where run_decode sends it:
// check() against a built-in model (bits 2..8 integers, sparsity in [0, 0.99]), and when
// that passes, at() for every projection and layer and decode_plan().
#include "fuzz_roofline.hpp"
#include "json_file.hpp"
#include "projection.hpp"

namespace {

void use(const roofline::projection_table& t) {
  const roofline::model_shape& m = roofline::find_model("qwen2-0.5b");  // 24 layers
  const bool bits_ok = fuzz::accepted([&] { t.check(m, 2, 8, true, fuzz::kName); });
  const bool sparsity_ok = fuzz::accepted([&] { t.check(m, 0, 0.99, false, fuzz::kName); });
  if (!bits_ok && !sparsity_ok) return;
  for (const auto& p : m.projections())
    for (int layer = p.proj == "lm_head" ? -1 : 0; layer < (p.proj == "lm_head" ? 0 : m.layers); ++layer)
      (void)t.at(p.proj, layer);
  const roofline::projection_table dense;  // fallback 0
  roofline::projection_table four;
  four.fallback = 4;
  const auto plan = bits_ok ? roofline::decode_plan(m, t, 64, dense) : roofline::decode_plan(m, four, 64, t);
  fuzz::check(!plan.empty());
  (void)roofline::mean_bits(plan);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text = fuzz::text(data, size);
  roofline::projection_table t;
  if (fuzz::accepted([&] { t = roofline::projection_table::parse_inline(text, fuzz::kName, 4); })) use(t);
  nlohmann::json j;
  try {
    j = roofline::parse_json_text(text, "--bits-file", fuzz::kName);
  } catch (const std::runtime_error&) {
    return 0;  // not JSON: fuzz_machine holds parse_json_text to the contract
  }
  const std::string what = std::string("--bits-file '") + fuzz::kName + "'";
  if (fuzz::accepted([&] { t = roofline::projection_table::parse_json(j, what, 4); })) use(t);
  return 0;
}
