// roofline/study_report.hpp: the report's real-model page (real-model.html and
// real-model.md, which write_report in report.hpp adds to the report directory) from
// `actsparse study` results (study_result.hpp), and its summary table, which index.html
// also opens with.
#pragma once

#include "study_result.hpp"

namespace roofline {

struct tables;

// The answer first: per weight width and target, the quality the magnitude rule costs
// (perplexity against dense, top-1 agreement) beside decode tokens/s, with the speedup over
// dense, in each residency and thread count measured. The table only; the page adds what
// its columns mean.
void study_summary(tables& t, const study_result& r);

// Decode tokens/s of each timed summary row projected on the built-in Apple profiles
// (targets.hpp): the study model's matrices at the row's width, precision and realised
// sparsity per projection through project() (projection.hpp: the longer of each matrix's
// reads and its NEON loops), compute-bound profiles marked. A heading, what the figures
// are, the table and how they were derived; `every_profile` false shows the first screen's
// subset (the slowest profile and the current line), true all of them.
void study_apple(tables& t, const study_result& r, bool every_profile);

// The page: the summary and its Apple projection on every profile, quality against
// sparsity, speed against sparsity, one speed run by projection, the activation histograms,
// the host and texts.
void study_page(tables& t, const study_result& r);

}  // namespace roofline
