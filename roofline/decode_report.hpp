// roofline/decode_report.hpp: the report's page on `actsparse decode` results (decode.html
// and decode.md, which write_report in report.hpp adds to the report directory). Its
// validation section shows the leave-one-out rows of `actsparse project --validate`
// (projection.hpp), so the page and the command cannot disagree.
#pragma once

#include "decode.hpp"
#include "machine.hpp"

namespace roofline {

// The report's decode page (decode.html, decode.md): per-token figures, bytes and time per
// projection against the model, target projections and the validation. Throws before
// writing when the machine profile lacks a figure a prediction needs.
struct tables;
void decode_page(tables& t, const decode_result& r, const machine_profile& m);

}  // namespace roofline
