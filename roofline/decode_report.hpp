// roofline/decode_report.hpp: the report's page on `actsparse decode` results (decode.html
// and decode.md, which write_report in report.hpp adds to the report directory), and the
// published decode measurements the page checks the projection against, compiled in from
// roofline/profiles/published.json (decode_report.cpp).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "decode.hpp"
#include "machine.hpp"

namespace roofline {

// A published decode measurement on a target machine (roofline/profiles/published.json),
// against which the report checks the projection.
struct published_decode {
  std::string label, profile, model, format_note, backend, source, url;
  int bits = 4, group = 64;
  double tokens_per_s = 0;
};
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(published_decode, label, profile, model, format_note, backend, source, url, bits,
                                   group, tokens_per_s)
std::vector<published_decode> builtin_published();

// The report's decode page (decode.html, decode.md): per-token figures, bytes and time per
// projection against the model, target projections and the validation. Throws before
// writing when the machine profile lacks a figure a prediction needs.
struct tables;
void decode_page(tables& t, const decode_result& r, const machine_profile& m);

}  // namespace roofline
