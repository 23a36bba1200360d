// tests/decoder/tokenize_main.cpp: actsparse-tokenize, the C++ side of the tokenizer oracle
// test (check_tokenizer.py). It builds the tokenizer from a GGUF file and
//   --encode   reads text on stdin, prints its ids on one line (the time on stderr)
//   --decode   reads ids on stdin, writes the bytes they stand for
//   --classes  prints the pre-tokenizer's Unicode classes as ranges: "first last class" (hex)
// --no-special encodes control tokens' text as plain text.
#include "tokenizer.hpp"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>

namespace {

int usage() {
  std::fprintf(stderr, "usage: actsparse-tokenize --model FILE.gguf [--encode | --decode | --classes] [--no-special]\n");
  return 2;
}

void print_classes() {
  using actsparse::decoder::char_class;
  const char* names[] = {"other", "letter", "number", "space"};
  std::uint32_t first = 0;
  char_class run = actsparse::decoder::classify(0);
  for (std::uint32_t cp = 1; cp <= 0x110000; ++cp) {
    const char_class c = cp < 0x110000 ? actsparse::decoder::classify(cp) : char_class::other;
    if (c == run && cp < 0x110000) continue;
    if (run != char_class::other) std::printf("%x %x %s\n", first, cp - 1, names[static_cast<int>(run)]);
    first = cp;
    run = c;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string model, mode = "--encode";
  bool special = true;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--model") == 0 && i + 1 < argc) model = argv[++i];
    else if (!std::strcmp(argv[i], "--encode") || !std::strcmp(argv[i], "--decode") || !std::strcmp(argv[i], "--classes"))
      mode = argv[i];
    else if (std::strcmp(argv[i], "--no-special") == 0) special = false;
    else return usage();
  }
  if (mode == "--classes") {
    print_classes();
    return 0;
  }
  if (model.empty()) return usage();
  try {
    const actsparse::gguf_file file(model);
    const actsparse::decoder::tokenizer tok(file);
    const std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    if (mode == "--decode") {
      std::istringstream in(input);
      std::vector<std::int32_t> ids;
      for (long long id; in >> id;) ids.push_back(static_cast<std::int32_t>(id));
      const std::string text = tok.decode(ids);
      std::fwrite(text.data(), 1, text.size(), stdout);
      return 0;
    }
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<std::int32_t> ids = tok.encode(input, special);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::string line;
    for (std::size_t i = 0; i < ids.size(); ++i) line += (i ? " " : "") + std::to_string(ids[i]);
    std::printf("%s\n", line.c_str());
    if (input.size() > 1000) std::fprintf(stderr, "encode: %zu bytes -> %zu tokens in %.1f ms\n", input.size(), ids.size(), ms);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "actsparse-tokenize: %s\n", e.what());
    return 1;
  }
  return 0;
}
