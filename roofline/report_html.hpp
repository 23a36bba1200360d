// roofline/report_html.hpp: the pieces every report page shares: a table or heading written
// to HTML and Markdown at once, percentages, the page style and the page frame.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "svg.hpp"

namespace roofline {

using svg::escape;
using svg::num;

struct tables {
  std::ostringstream html, md, csv;
};

// One table, written to both HTML and Markdown.
inline void table(tables& t, const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& body,
                  const std::string& id = "") {
  t.html << "<table" << (id.empty() ? "" : " id=\"" + id + "\"") << "><thead><tr>";
  for (const auto& h : head) t.html << "<th>" << escape(h) << "</th>";
  t.html << "</tr></thead><tbody>\n";
  for (const auto& row : body) {
    t.html << "<tr>";
    for (const auto& c : row) t.html << "<td>" << escape(c) << "</td>";
    t.html << "</tr>\n";
  }
  t.html << "</tbody></table>\n";
  t.md << "\n|";
  for (const auto& h : head) t.md << " " << h << " |";
  t.md << "\n|";
  for (std::size_t i = 0; i < head.size(); ++i) t.md << " --- |";
  for (const auto& row : body) {
    t.md << "\n|";
    for (const auto& c : row) t.md << " " << c << " |";
  }
  t.md << "\n\n";
}

inline void heading(tables& t, const std::string& h, const std::string& text) {
  t.html << "<h2>" << escape(h) << "</h2>\n<p>" << escape(text) << "</p>\n";
  t.md << "## " << h << "\n\n" << text << "\n";
}

inline std::string pct(double f) { return num(100.0 * f, 3) + "%"; }

inline constexpr const char* kStyle = R"css(
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
figure { margin: 1em 0; } svg.chart text { font-size: 11px; fill: #222; }
svg.chart .title { font-size: 13px; font-weight: 600; } svg.chart .grid { stroke: #e6e6e6; }
svg.chart .label { font-size: 12px; }
)css";

// A whole page: title, a lead paragraph (already HTML) and the body.
inline std::string html_page(const std::string& title, const std::string& lead_html, const std::string& body) {
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + escape(title) + "</title><style>" +
         std::string(kStyle) + "</style></head><body>\n<h1>" + escape(title) + "</h1>\n<p>" + lead_html + "</p>\n" + body +
         "</body></html>\n";
}

}  // namespace roofline
