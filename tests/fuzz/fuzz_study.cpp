// tests/fuzz/fuzz_study.cpp: libFuzzer target for the study results reader
// (roofline/study_result.cpp: parse_study, the body of load_study, which `actsparse report
// --study` reads), under the contract of fuzz_roofline.hpp. Accepted results have quality
// rows and histograms with one bin more than edges, and the real-model page renders from
// them (roofline/study_report.cpp: joins, charts, the histograms' tick labels) without a
// crash or a sanitizer report, whatever numbers they hold.
#include "fuzz_roofline.hpp"
#include "report_html.hpp"
#include "study_report.hpp"
#include "study_result.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  roofline::study_result r;
  if (!fuzz::accepted([&] { r = roofline::parse_study(fuzz::text(data, size), fuzz::kName); })) return 0;
  fuzz::check(!r.quality.empty());
  for (const auto& h : r.activations)
    fuzz::check(!h.upper_edges.empty() && h.fraction.size() == h.upper_edges.size() + 1);
  roofline::tables t;
  roofline::study_page(t, r);
  roofline::study_summary(t, r);
  roofline::study_apple(t, r, false);  // the first screen's subset (study_page shows every profile)
  fuzz::check(!t.html.str().empty());
  return 0;
}
