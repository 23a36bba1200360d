// roofline/svg.hpp: small inline-SVG charts for the report (no scripts, no external
// resources: the page opens offline). A chart has linear or log axes, line series, point
// series and a legend; bar charts are line-less point series drawn as bars.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

namespace roofline::svg {

inline std::string escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

inline std::string num(double v, int digits = 3) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*g", digits, v);
  return b;
}

inline const char* palette(std::size_t i) {
  static const char* colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                 "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};
  return colors[i % 10];
}

struct series {
  std::string name, color;
  std::vector<std::pair<double, double>> points;
  bool line = true, markers = true, dashed = false, hollow = false;
};

struct axis {
  std::string label;
  bool log = false;
  double lo = 0, hi = 1;
};

class chart {
 public:
  chart(std::string title, axis x, axis y) : title_(std::move(title)), x_(std::move(x)), y_(std::move(y)) {}
  void add(series s) { series_.push_back(std::move(s)); }
  bool empty() const { return series_.empty(); }

  // Fits the axis ranges to the data (log axes to whole decades).
  void fit() {
    auto fit_axis = [&](axis& a, bool is_x) {
      double lo = 1e300, hi = -1e300;
      for (const auto& s : series_)
        for (const auto& p : s.points) {
          const double v = is_x ? p.first : p.second;
          if (a.log && !(v > 0)) continue;
          lo = std::min(lo, v), hi = std::max(hi, v);
        }
      if (lo > hi) lo = a.log ? 1 : 0, hi = a.log ? 10 : 1;
      if (a.log) {
        a.lo = std::pow(10, std::floor(std::log10(lo)));
        a.hi = std::pow(10, std::ceil(std::log10(hi)));
        if (a.hi <= a.lo) a.hi = a.lo * 10;
      } else {
        a.lo = std::min(0.0, lo);
        a.hi = hi > a.lo ? hi * 1.08 : a.lo + 1;
      }
    };
    fit_axis(x_, true);
    fit_axis(y_, false);
  }
  axis& x() { return x_; }
  axis& y() { return y_; }

  std::string render(int width = 760, int height = 420) const {
    const double L = 70, R = 200, T = 34, B = 52;
    const double pw = width - L - R, ph = height - T - B;
    auto sx = [&](double v) {
      const double f = x_.log ? (std::log10(v) - std::log10(x_.lo)) / (std::log10(x_.hi) - std::log10(x_.lo))
                              : (v - x_.lo) / (x_.hi - x_.lo);
      return L + f * pw;
    };
    auto sy = [&](double v) {
      const double f = y_.log ? (std::log10(v) - std::log10(y_.lo)) / (std::log10(y_.hi) - std::log10(y_.lo))
                              : (v - y_.lo) / (y_.hi - y_.lo);
      return T + ph - f * ph;
    };
    auto inside = [&](double x, double y) {
      return (!x_.log || x > 0) && (!y_.log || y > 0) && x >= x_.lo && x <= x_.hi && y >= y_.lo && y <= y_.hi;
    };
    std::ostringstream o;
    o << "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" viewBox=\"0 0 " << width << " " << height << "\" role=\"img\" aria-label=\"" << escape(title_) << "\">\n";
    o << "<text x=\"" << L << "\" y=\"20\" class=\"title\">" << escape(title_) << "</text>\n";
    o << "<rect x=\"" << L << "\" y=\"" << T << "\" width=\"" << pw << "\" height=\"" << ph
      << "\" fill=\"none\" stroke=\"#444\"/>\n";
    // At most kMaxTicks: an axis fitted to extreme values (a decade of 0 from a subnormal,
    // one of inf past 1e308, a step too small to move v) must still end.
    constexpr std::size_t kMaxTicks = 64;
    auto ticks = [&](const axis& a) {
      std::vector<double> t;
      if (a.log) {
        for (double v = a.lo; v <= a.hi * 1.0001 && t.size() < kMaxTicks; v *= 10) t.push_back(v);
      } else {
        const double span = a.hi - a.lo, raw = span / 6, mag = std::pow(10, std::floor(std::log10(raw)));
        const double step = raw / mag < 2 ? 2 * mag : raw / mag < 5 ? 5 * mag : 10 * mag;
        for (double v = std::ceil(a.lo / step) * step; v <= a.hi + 1e-12 && t.size() < kMaxTicks; v += step)
          t.push_back(v);
      }
      return t;
    };
    for (double v : ticks(x_)) {
      const double px = sx(v);
      o << "<line x1=\"" << px << "\" y1=\"" << T << "\" x2=\"" << px << "\" y2=\"" << T + ph << "\" class=\"grid\"/>"
        << "<text x=\"" << px << "\" y=\"" << T + ph + 16 << "\" class=\"tick\" text-anchor=\"middle\">" << num(v) << "</text>\n";
    }
    for (double v : ticks(y_)) {
      const double py = sy(v);
      o << "<line x1=\"" << L << "\" y1=\"" << py << "\" x2=\"" << L + pw << "\" y2=\"" << py << "\" class=\"grid\"/>"
        << "<text x=\"" << L - 6 << "\" y=\"" << py + 4 << "\" class=\"tick\" text-anchor=\"end\">" << num(v) << "</text>\n";
    }
    o << "<text x=\"" << L + pw / 2 << "\" y=\"" << height - 12 << "\" class=\"label\" text-anchor=\"middle\">"
      << escape(x_.label) << "</text>\n";
    o << "<text transform=\"translate(16," << T + ph / 2 << ") rotate(-90)\" class=\"label\" text-anchor=\"middle\">"
      << escape(y_.label) << "</text>\n";
    std::size_t legend_row = 0;
    for (const auto& s : series_) {
      if (s.line) {
        std::string pts;
        for (const auto& p : s.points)
          if (inside(p.first, p.second)) pts += num(sx(p.first), 6) + "," + num(sy(p.second), 6) + " ";
        o << "<polyline class=\"series\" data-series=\"" << escape(s.name) << "\" fill=\"none\" stroke=\"" << s.color
          << "\" stroke-width=\"1.8\"" << (s.dashed ? " stroke-dasharray=\"6 4\"" : "") << " points=\"" << pts << "\"/>\n";
      }
      if (s.markers)
        for (const auto& p : s.points)
          if (inside(p.first, p.second))
            o << "<circle class=\"point\" data-series=\"" << escape(s.name) << "\" cx=\"" << num(sx(p.first), 6)
              << "\" cy=\"" << num(sy(p.second), 6) << "\" r=\"3.2\" fill=\"" << (s.hollow ? "white" : s.color)
              << "\" stroke=\"" << s.color << "\"><title>" << escape(s.name) << ": " << num(p.first, 4) << ", "
              << num(p.second, 4) << "</title></circle>\n";
      const double ly = T + 10 + 16 * double(legend_row++);
      o << "<line x1=\"" << L + pw + 12 << "\" y1=\"" << ly << "\" x2=\"" << L + pw + 30 << "\" y2=\"" << ly
        << "\" stroke=\"" << s.color << "\" stroke-width=\"2\"" << (s.dashed ? " stroke-dasharray=\"4 3\"" : "")
        << "/><text x=\"" << L + pw + 34 << "\" y=\"" << ly + 4 << "\" class=\"legend\">" << escape(s.name) << "</text>\n";
    }
    o << "</svg>\n";
    return o.str();
  }

 private:
  std::string title_;
  axis x_, y_;
  std::vector<series> series_;
};

// Grouped bar chart: categories along x, one bar per series in each category. `ticks`, when
// given (one per category, empty for none), replaces the category names under the axis: a
// histogram of 34 narrow bins labels only its decades; the bars' tooltips keep the names.
inline std::string bars(const std::string& title, const std::string& ylabel, const std::vector<std::string>& categories,
                        const std::vector<std::pair<std::string, std::vector<double>>>& groups, int width = 760,
                        int height = 380, const std::vector<std::string>& ticks = {}) {
  auto tick = [&](std::size_t c) -> const std::string& {
    return ticks.size() == categories.size() ? ticks[c] : categories[c];
  };
  // The labels hang from the axis at -25 degrees, ending under their bar: a long one needs
  // room below the plot and, under the first bar, to its left, or the SVG's edge cuts it
  // (11-px text runs about 6.8 px a character; sin and cos of 25 degrees).
  constexpr double kChar = 6.8, kSin = 0.4226, kCos = 0.9063;
  double longest = 0;
  for (std::size_t c = 0; c < categories.size(); ++c) longest = std::max(longest, kChar * double(tick(c).size()));
  const double R = 280, T = 34, B = std::max(70.0, 30 + kSin * longest);
  const double first = categories.empty() ? 0 : kCos * kChar * double(tick(0).size());
  const double half_bar = (width - 70 - R) / double(std::max<std::size_t>(1, categories.size())) / 2;
  const double L = std::max(70.0, first - half_bar + 8);
  const double pw = width - L - R, ph = height - T - B;
  double hi = 0;
  for (const auto& g : groups)
    for (double v : g.second) hi = std::max(hi, v);
  hi = hi > 0 ? hi * 1.1 : 1;
  std::ostringstream o;
  o << "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
    << "\" viewBox=\"0 0 " << width << " " << height << "\" role=\"img\" aria-label=\"" << escape(title) << "\">\n";
  o << "<text x=\"" << L << "\" y=\"20\" class=\"title\">" << escape(title) << "</text>\n";
  o << "<rect x=\"" << L << "\" y=\"" << T << "\" width=\"" << pw << "\" height=\"" << ph << "\" fill=\"none\" stroke=\"#444\"/>\n";
  for (int i = 0; i <= 5; ++i) {
    const double v = hi * i / 5, py = T + ph - ph * i / 5;
    o << "<line x1=\"" << L << "\" y1=\"" << py << "\" x2=\"" << L + pw << "\" y2=\"" << py << "\" class=\"grid\"/>"
      << "<text x=\"" << L - 6 << "\" y=\"" << py + 4 << "\" class=\"tick\" text-anchor=\"end\">" << num(v) << "</text>\n";
  }
  const double cw = pw / double(std::max<std::size_t>(1, categories.size()));
  const double bw = cw * 0.8 / double(std::max<std::size_t>(1, groups.size()));
  for (std::size_t c = 0; c < categories.size(); ++c) {
    const double cx = L + cw * double(c);
    if (!tick(c).empty())
      o << "<text x=\"" << cx + cw / 2 << "\" y=\"" << T + ph + 14
        << "\" class=\"tick\" text-anchor=\"end\" transform=\"rotate(-25 " << cx + cw / 2 << " " << T + ph + 14 << ")\">"
        << escape(tick(c)) << "</text>\n";
    for (std::size_t g = 0; g < groups.size(); ++g) {
      const double v = c < groups[g].second.size() ? groups[g].second[c] : 0;
      const double h = ph * v / hi;
      o << "<rect class=\"bar\" data-series=\"" << escape(groups[g].first) << "\" x=\"" << cx + cw * 0.1 + bw * double(g)
        << "\" y=\"" << T + ph - h << "\" width=\"" << bw << "\" height=\"" << h << "\" fill=\"" << palette(g) << "\"><title>"
        << escape(groups[g].first) << ", " << escape(categories[c]) << ": " << num(v, 4) << "</title></rect>\n";
    }
  }
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const double ly = T + 10 + 16 * double(g);
    o << "<rect x=\"" << L + pw + 12 << "\" y=\"" << ly - 6 << "\" width=\"14\" height=\"10\" fill=\"" << palette(g)
      << "\"/><text x=\"" << L + pw + 32 << "\" y=\"" << ly + 4 << "\" class=\"legend\">" << escape(groups[g].first) << "</text>\n";
  }
  o << "<text transform=\"translate(16," << T + ph / 2 << ") rotate(-90)\" class=\"label\" text-anchor=\"middle\">"
    << escape(ylabel) << "</text>\n</svg>\n";
  return o.str();
}

}  // namespace roofline::svg
