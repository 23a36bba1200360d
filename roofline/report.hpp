// roofline/report.hpp: `actsparse report`, a machine profile (machine.hpp) and
// actsparse-bench's JSON (bench_rows.hpp), and optionally `actsparse decode` and
// `actsparse study` results (decode.hpp, study_result.hpp), rendered as a report directory:
// index.html, report.md and rows.csv, plus decode.html and decode.md (decode_report.hpp) and
// real-model.html and real-model.md (study_report.hpp). How the directory is written: report.cpp.
#pragma once

#include <string>

namespace roofline {

struct report_options {
  std::string machine_path, bench_path, out_dir;
  std::string decode_path;  // optional: `actsparse decode` results, rendered as decode.html
  std::string study_path;   // optional: `actsparse study` results, rendered as real-model.html
};
void write_report(const report_options& opt);

}  // namespace roofline
