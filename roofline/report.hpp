// roofline/report.hpp: `actsparse report`, a machine profile (machine.hpp) and
// actsparse-bench's JSON (bench_rows.hpp), and optionally `actsparse decode` results
// (decode.hpp), rendered as a report directory: index.html, report.md and rows.csv, plus
// decode.html and decode.md (decode_report.hpp). How the directory is written: report.cpp.
#pragma once

#include <string>

namespace roofline {

struct report_options {
  std::string machine_path, bench_path, out_dir;
  std::string decode_path;  // optional: `actsparse decode` results, rendered as decode.html
};
void write_report(const report_options& opt);

}  // namespace roofline
