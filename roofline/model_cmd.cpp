// roofline/model_cmd.cpp: the `actsparse gguf` and `actsparse convert` subcommands, real
// model files on the command line (include/actsparse/gguf.hpp, model_file.hpp):
//   actsparse gguf --model FILE.gguf                     header, metadata and tensor table
//   actsparse gguf --model FILE.gguf --dequantize OUT [--tensor NAME]...
//                                                        fp32 of the tensors (all by default)
//   actsparse convert --model FILE.gguf --bits default=4,down=6 --group 64 --out FILE.aspk
//                                                        pack once, write a file runtimes map
#include "model_cmd.hpp"

#include <actsparse/gguf.hpp>
#include <actsparse/model_file.hpp>
#include <chrono>
#include <unistd.h>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace roofline {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string shape_text(const std::vector<std::uint64_t>& shape) {
  std::string s;
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? " x " : "") + std::to_string(shape[i]);
  return s;
}

// A metadata value in one line: scalars in full, strings cut at 60 characters, arrays as
// their type and length with the first few items.
std::string value_text(const actsparse::gguf_value& v) {
  using T = actsparse::gguf_value_type;
  switch (v.type) {
    case T::string: {
      if (v.text.size() <= 60) return "\"" + v.text + "\"";
      std::size_t cut = 57;
      while (cut > 0 && (static_cast<unsigned char>(v.text[cut]) & 0xc0) == 0x80) --cut;  // not inside a character
      return "\"" + v.text.substr(0, cut) + "...\"";
    }
    case T::boolean: return v.bits ? "true" : "false";
    case T::f32: case T::f64: {
      char b[32];
      std::snprintf(b, sizeof b, "%g", v.number);
      return b;
    }
    case T::array: {
      std::string s = std::string(actsparse::detail::gguf_value_type_name(v.elem)) + "[" + std::to_string(v.count) + "]";
      for (std::size_t i = 0; i < v.count && i < 3; ++i) s += (i ? ", " : " ") + value_text(v.item(i));
      return s + (v.count > 3 ? ", ..." : "");
    }
    case T::i8: case T::i16: case T::i32: case T::i64: return std::to_string(static_cast<std::int64_t>(v.bits));
    default: return std::to_string(v.bits);
  }
}

}  // namespace

int run_gguf(const gguf_cli& c) {
  const actsparse::gguf_file f(c.model);
  if (c.dequantize.empty()) {
    std::printf("%s: GGUF version %u, %zu bytes, alignment %llu, data at byte %llu\n", c.model.c_str(), f.version(),
                f.size(), static_cast<unsigned long long>(f.alignment()),
                static_cast<unsigned long long>(f.data_offset()));
    std::printf("metadata (%zu keys):\n", f.metadata().size());
    for (const auto& [key, v] : f.metadata()) std::printf("  %-44s %s\n", key.c_str(), value_text(v).c_str());
    std::printf("tensors (%zu):\n", f.tensors().size());
    for (const auto& t : f.tensors())
      std::printf("  %-32s %-6s %-16s %12llu bytes at %llu\n", t.name.c_str(), t.type.c_str(),
                  shape_text(t.shape).c_str(), static_cast<unsigned long long>(t.bytes),
                  static_cast<unsigned long long>(t.offset));
    return 0;
  }
  std::vector<std::string> names = c.tensors;
  if (names.empty())
    for (const auto& t : f.tensors()) names.push_back(t.name);
  for (const auto& n : names) f.find(n);  // every name exists before anything is written
  const bool to_stdout = c.dequantize == "-";
  const std::string tmp = c.dequantize + ".tmp";
  std::FILE* out = to_stdout ? stdout : std::fopen(tmp.c_str(), "wb");
  if (out == nullptr) throw std::runtime_error("cannot write '" + c.dequantize + "'");
  std::vector<float> buf;
  std::uint64_t total = 0;
  try {
    for (const auto& n : names) {
      buf.resize(f.find(n).elements());
      f.dequantize(n, buf.data());
      if (std::fwrite(buf.data(), sizeof(float), buf.size(), out) != buf.size())
        throw std::runtime_error("cannot write '" + c.dequantize + "'");
      total += buf.size();
    }
  } catch (...) {
    if (!to_stdout) std::fclose(out), std::remove(tmp.c_str());
    throw;
  }
  if (!to_stdout) {
    if (std::fclose(out) != 0 || std::rename(tmp.c_str(), c.dequantize.c_str()) != 0) {
      std::remove(tmp.c_str());
      throw std::runtime_error("cannot write '" + c.dequantize + "'");
    }
  } else {
    std::fflush(stdout);
  }
  std::fprintf(stderr, "gguf: %zu tensors, %llu values (fp32) to %s\n", names.size(),
               static_cast<unsigned long long>(total), to_stdout ? "stdout" : c.dequantize.c_str());
  return 0;
}

int run_convert(const convert_cli& c) {
  actsparse::quant_table table = actsparse::quant_table::parse(c.bits, c.group);
  table.fallback.rule = actsparse::parse_quant_rule(c.quantizer, "actsparse convert --quantizer");
  const auto t0 = std::chrono::steady_clock::now();
  const actsparse::gguf_file f(c.model);
  const double open_s = seconds_since(t0);

  // The projections packed (in file order), and every other fp32-decodable 1-D tensor
  // (norm weights) as values.
  std::vector<std::pair<std::string, actsparse::packed_matrix>> matrices;
  std::vector<std::pair<std::string, std::vector<float>>> vectors;
  const bool tied = !f.has_tensor("output.weight");
  const auto t1 = std::chrono::steady_clock::now();
  std::size_t done = 0;
  const bool progress = !c.quiet && isatty(2);  // a counter on a terminal; logs get the summary only
  for (const auto& t : f.tensors()) {
    std::string proj = actsparse::detail::gguf_projection(t.name);
    if (proj.empty() && tied && t.name == "token_embd.weight") proj = "lm_head";
    if (!proj.empty()) {
      matrices.emplace_back(t.name, f.pack(t.name, table.for_projection(proj)));
    } else if (t.shape.size() == 1) {
      std::vector<float> v(t.shape[0]);
      f.dequantize(t.name, v.data());
      vectors.emplace_back(t.name, std::move(v));
    }
    ++done;
    if (progress) std::fprintf(stderr, "\rconvert: %zu/%zu tensors", done, f.tensors().size());
  }
  const double pack_s = seconds_since(t1);
  if (progress) std::fprintf(stderr, "\n");

  std::vector<actsparse::model_tensor> list;
  std::size_t weights = 0, packed_bytes = 0;
  for (const auto& [name, W] : matrices) {
    list.push_back({name, &W, nullptr, 0});
    weights += W.rows() * W.cols();
    packed_bytes += W.bytes();
  }
  for (const auto& [name, v] : vectors) list.push_back({name, nullptr, v.data(), v.size()});
  const auto t2 = std::chrono::steady_clock::now();
  actsparse::write_model_file(c.out, list);
  const double write_s = seconds_since(t2);

  // Load it back as a runtime would: map, check the checksum, borrow every matrix.
  const auto t3 = std::chrono::steady_clock::now();
  const actsparse::model_file m(c.out);
  std::size_t views = 0;
  for (const auto& e : m.tensors())
    if (e.packed) views += m.matrix(e.name).owns_data() ? 0 : 1;
  const double load_s = seconds_since(t3);

  std::printf("convert: %s -> %s\n", c.model.c_str(), c.out.c_str());
  std::printf("  %zu matrices (%s bits, g%d), %.1f M weights, %.1f MB packed; %zu fp32 vectors\n", matrices.size(),
              c.bits.c_str(), c.group, weights / 1e6, packed_bytes / 1e6, vectors.size());
  std::printf("  open GGUF %.3f s, dequantize + pack %.3f s, write %.3f s\n", open_s, pack_s, write_s);
  std::printf("  load back (map + checksum + %zu views) %.3f s: %.0fx faster than converting\n", views, load_s,
              (open_s + pack_s) / load_s);
  return 0;
}

}  // namespace roofline
