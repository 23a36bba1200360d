// actsparse/calibrate.hpp: thresholds for approximate (TEAL-style) activation sparsity.
//
// SwiGLU models (Llama, Mistral, Qwen) have no exact zeros, but tolerate dropping the
// inputs with the smallest |x|. For a target sparsity s, the threshold of a tensor is the
// s-quantile of |x| over a sample of its activations (TEAL: the (0.5 + s/2) quantile of x
// for a symmetric distribution, the same thing), so that gemv(W, x, y, t) skips a fraction
// s of the inputs.
//
// threshold_calibrator streams samples into a histogram of |x| keyed by the float's bit
// pattern: 64 linear bins per octave over the whole float range (16321 bins, 128 KiB,
// whatever the sample count), so a quantile is exact to one bin, 0.8-1.6% relative.
// threshold_table saves and loads one threshold per named tensor (docs/thresholds.md).
#pragma once

#include "config.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "error.hpp"
#include "half.hpp"

ACTSPARSE_NAMESPACE_BEGIN

class threshold_calibrator {
 public:
  static constexpr int kBinShift = 17;  // exponent + top 6 mantissa bits: 64 linear bins per octave
  static constexpr std::size_t kBins = (0x7f800000u >> kBinShift) + 1;  // finite values and Inf

  threshold_calibrator() : bins_(kBins, 0) {}

  // Adds n activation samples. NaN samples count as always active (no threshold drops them).
  void add(const float* x, std::size_t n) {
    if (n > 0 && x == nullptr) detail::fail("threshold_calibrator::add", "x is null");
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint32_t u = float_bits(x[i]) & 0x7fffffffu;
      if (u > 0x7f800000u) {
        ++nan_;
      } else {
        ++bins_[u >> kBinShift];
      }
    }
    total_ += n;
  }

  // Adds another calibrator's samples (e.g. one per thread or per batch).
  void merge(const threshold_calibrator& o) {
    for (std::size_t b = 0; b < kBins; ++b) bins_[b] += o.bins_[b];
    nan_ += o.nan_;
    total_ += o.total_;
  }

  std::uint64_t count() const { return total_; }

  // The smallest bin-edge threshold t with fraction(|x| <= t) >= sparsity, so that
  // find_active(x, n, t) skips at least that fraction of this sample (and at most one
  // bin's worth more). sparsity 0 gives 0 (only exact zeros are skipped); exact zeros sit
  // in the first bin, whose top edge is 1.8e-40. A target that only infinite or NaN
  // samples could meet gives the largest finite float.
  float threshold_for(double sparsity) const {
    if (!(sparsity >= 0.0 && sparsity <= 1.0))
      detail::fail("threshold_calibrator::threshold_for", "sparsity = ", sparsity, " must be in [0, 1]");
    if (total_ == 0) detail::fail("threshold_calibrator::threshold_for", "no samples were added");
    const double target = std::ceil(sparsity * static_cast<double>(total_) - 1e-9);
    if (target <= 0) return 0.0f;
    double seen = 0;
    for (std::size_t b = 0; b + 1 < kBins; ++b) {  // the last bin holds only Inf
      seen += static_cast<double>(bins_[b]);
      if (seen >= target) return bits_float(static_cast<std::uint32_t>(((b + 1) << kBinShift) - 1));
    }
    return std::numeric_limits<float>::max();
  }

  // Fraction of the samples with |x| <= t, at bin resolution (exact at the thresholds
  // threshold_for returns).
  double sparsity_at(float t) const {
    if (total_ == 0) return 0.0;
    const std::uint32_t u = float_bits(t) & 0x7fffffffu;
    const std::size_t last = std::min<std::size_t>(u >> kBinShift, kBins - 1);
    double seen = 0;
    for (std::size_t b = 0; b <= last; ++b) seen += static_cast<double>(bins_[b]);
    return seen / static_cast<double>(total_);
  }

 private:
  std::vector<std::uint64_t> bins_;
  std::uint64_t nan_ = 0, total_ = 0;
};

// One threshold per named tensor (e.g. "layers.3.mlp.down_proj"), saved as text:
//   actsparse-thresholds 1
//   # comments and blank lines are ignored
//   <name> <threshold>
// Names are single tokens; thresholds finite and >= 0, written with 9 significant digits so
// they read back to the same float.
class threshold_table {
 public:
  void set(const std::string& name, float t) {
    if (name.empty() || name.find_first_of(" \t\r\n#") != std::string::npos)
      detail::fail("threshold_table::set", "name '", name, "' must be one token without spaces or '#'");
    if (!(t >= 0.0f) || !std::isfinite(t))
      detail::fail("threshold_table::set", "threshold for '", name, "' = ", t, " must be finite and >= 0");
    entries_[name] = t;
  }
  bool contains(const std::string& name) const { return entries_.count(name) != 0; }
  float get(const std::string& name) const {
    const auto it = entries_.find(name);
    if (it == entries_.end()) detail::fail("threshold_table::get", "no threshold for '", name, "'");
    return it->second;
  }
  const std::map<std::string, float>& entries() const { return entries_; }

  // Writes `path` through `path`.tmp in the same folder, renamed into place when complete:
  // an interrupted save leaves the old table or the new one, never half of one.
  void save(const std::string& path) const {
    const std::string tmp = path + ".tmp";
    {
      std::ofstream f(tmp);
      if (!f) detail::fail("threshold_table::save", "cannot write '", tmp, "'");
      f << "actsparse-thresholds 1\n";
      for (const auto& [name, t] : entries_) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(t));
        f << name << ' ' << buf << '\n';
      }
      f.close();  // flush before checking: a full disk shows up here
      if (!f) {
        std::remove(tmp.c_str());
        detail::fail("threshold_table::save", "cannot write '", tmp, "' (disk full?)");
      }
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      std::remove(tmp.c_str());
      detail::fail("threshold_table::save", "cannot rename '", tmp, "' to '", path, "'");
    }
  }

  static threshold_table load(const std::string& path) {
    std::ifstream f(path);
    if (!f) detail::fail("threshold_table::load", "cannot open '", path, "'");
    return parse(f, path);
  }

  // The text of a table from any stream; `name` (the file's path for load) is what the
  // messages call it. Throws actsparse::error naming the line and the problem.
  static threshold_table parse(std::istream& f, const std::string& name) {
    threshold_table table;
    std::string line;
    bool header = false;
    for (std::size_t no = 1; std::getline(f, line); ++no) {
      const std::size_t hash = line.find('#');
      if (hash != std::string::npos) line.resize(hash);
      std::istringstream in(line);
      std::string a, b, extra;
      if (!(in >> a)) continue;
      in >> b >> extra;
      auto bad = [&](const std::string& why) { detail::fail("threshold_table::load", "'", name, "' line ", no, ": ", why); };
      if (!header) {
        if (a == "actsparse-thresholds" && !b.empty() && b != "1" && extra.empty())
          bad("version '" + b + "' is not supported; this build reads version 1");
        if (a != "actsparse-thresholds" || b != "1" || !extra.empty()) bad("expected the header 'actsparse-thresholds 1'");
        header = true;
        continue;
      }
      if (b.empty() || !extra.empty()) bad("expected '<name> <threshold>'");
      char* end = nullptr;
      const float t = std::strtof(b.c_str(), &end);
      if (*end != '\0' || !(t >= 0.0f) || !std::isfinite(t)) bad("threshold '" + b + "' is not a finite number >= 0");
      if (table.contains(a)) bad("'" + a + "' appears twice");
      table.entries_[a] = t;
    }
    if (!header) detail::fail("threshold_table::load", "'", name, "' is empty or lacks the header 'actsparse-thresholds 1'");
    return table;
  }

 private:
  std::map<std::string, float> entries_;
};

ACTSPARSE_NAMESPACE_END  // namespace actsparse
