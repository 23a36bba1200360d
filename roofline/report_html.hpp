// roofline/report_html.hpp: the pieces every report page shares: a table or heading written
// to HTML and Markdown at once, percentages, the page style and the page frame with its bar
// of links to the report's other pages.
#pragma once

#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "svg.hpp"

namespace roofline {

using svg::escape;
using svg::num;

struct tables {
  std::ostringstream html, md, csv;
};

// One table, written to both HTML and Markdown. In HTML it scrolls sideways in its own box
// when wider than the window, so a narrow window never pushes the page's charts aside.
inline void table(tables& t, const std::vector<std::string>& head, const std::vector<std::vector<std::string>>& body,
                  const std::string& id = "") {
  t.html << "<div class=\"scroll\"><table" << (id.empty() ? "" : " id=\"" + id + "\"") << "><thead><tr>";
  for (const auto& h : head) t.html << "<th>" << escape(h) << "</th>";
  t.html << "</tr></thead><tbody>\n";
  for (const auto& row : body) {
    t.html << "<tr>";
    for (const auto& c : row) t.html << "<td>" << escape(c) << "</td>";
    t.html << "</tr>\n";
  }
  t.html << "</tbody></table></div>\n";
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

// What each column of the table above means, one plain sentence per column.
inline void columns(tables& t, const std::vector<std::pair<std::string, std::string>>& meaning) {
  t.html << "<ul class=\"columns\">\n";
  for (const auto& [name, text] : meaning)
    t.html << "<li><b>" << escape(name) << "</b>: " << escape(text) << "</li>\n";
  t.html << "</ul>\n";
  for (const auto& [name, text] : meaning) t.md << "- **" << name << "**: " << text << "\n";
  t.md << "\n";
}

inline std::string pct(double f) { return num(100.0 * f, 3) + "%"; }

inline constexpr const char* kStyle = R"css(
body { font-family: system-ui, sans-serif; margin: 2em auto; padding: 0 1em; max-width: 1100px; color: #222; }
nav { font-size: 0.9em; padding-bottom: 0.4em; border-bottom: 1px solid #ccc; } nav a, nav b { margin-right: 1.2em; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; white-space: nowrap; }
.scroll { overflow-x: auto; } ul.columns { font-size: 0.9em; color: #444; }
figure { margin: 1em 0; } svg.chart { max-width: 100%; height: auto; } svg.chart text { font-size: 11px; fill: #222; }
svg.chart .title { font-size: 13px; font-weight: 600; } svg.chart .grid { stroke: #e6e6e6; }
svg.chart .label { font-size: 12px; }
)css";

// One of the report's pages, for the bar of links at the top of every page.
struct page_link {
  std::string file, title;
};

// A whole page: the bar of links (`file` is this page, shown unlinked), title, a lead
// paragraph (already HTML) and the body. Charts shrink to the window's width (viewport tag).
inline std::string html_page(const std::string& file, const std::vector<page_link>& pages, const std::string& title,
                             const std::string& lead_html, const std::string& body) {
  std::string nav = "<nav>";
  for (const auto& p : pages)
    nav += p.file == file ? "<b>" + escape(p.title) + "</b>"
                          : "<a href=\"" + escape(p.file) + "\">" + escape(p.title) + "</a>";
  nav += "</nav>\n";
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>" +
         escape(title) + "</title><style>" + std::string(kStyle) + "</style></head><body>\n" + nav + "<h1>" +
         escape(title) + "</h1>\n<p>" + lead_html + "</p>\n" + body + "</body></html>\n";
}

}  // namespace roofline
