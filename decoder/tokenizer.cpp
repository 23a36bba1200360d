// decoder/tokenizer.cpp: GPT-2 byte-level BPE from a GGUF vocabulary (see tokenizer.hpp for
// the steps and what they were checked against). The Unicode range table of the
// pre-tokenizer's letter and number classes closes the file.
#include "tokenizer.hpp"

#include <actsparse/error.hpp>

#include <algorithm>
#include <iterator>
#include <queue>

namespace actsparse::decoder {
namespace {

constexpr const char* kWhere = "decoder::tokenizer";
constexpr std::uint8_t kNormal = 1, kControl = 3, kUserDefined = 4;  // llama.cpp's token types
constexpr const char* kPreTokenizers = "\"gpt2\", \"smollm\"";

struct unicode_range {
  std::uint32_t first, last;
  char_class cls;
};
extern const unicode_range kUnicodeRanges[];
extern const std::size_t kUnicodeRangeCount;

// GPT-2's bytes_to_unicode: the printable bytes '!'..'~', U+00A1..U+00AC and U+00AE..U+00FF
// stand for themselves; the other 68 bytes, in order, for U+0100..U+0143. So every byte is a
// visible character and a token's text never holds a blank or a control character.
struct byte_alphabet {
  std::uint32_t cp_of[256];
  std::int16_t byte_of[0x144];  // -1: not a symbol of the alphabet
  byte_alphabet() {
    std::fill(std::begin(byte_of), std::end(byte_of), std::int16_t{-1});
    std::uint32_t next = 0x100;
    for (std::uint32_t b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
      cp_of[b] = printable ? b : next++;
      byte_of[cp_of[b]] = static_cast<std::int16_t>(b);
    }
  }
};
const byte_alphabet kAlphabet;

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

constexpr std::uint32_t kInvalid = actsparse::detail::kNotUtf8;

// The code point at s[0..n) and its length (gguf.hpp's strict decoder): kInvalid, length 1,
// for a byte that does not start a valid sequence.
std::uint32_t next_code_point(const unsigned char* s, std::size_t n, std::size_t& len) {
  return actsparse::detail::utf8_code_point(s, n, len);
}

// The length of the longest prefix of s that ends on a character boundary, counting an
// invalid byte as a character (it will never be completed).
std::size_t complete_utf8_prefix(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = p[i];
    const std::size_t k = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 1;
    if (i + k > s.size()) {
      // Incomplete only if every byte present continues the sequence; else it is invalid.
      bool continues = true;
      for (std::size_t j = i + 1; j < s.size(); ++j) continues = continues && (p[j] & 0xc0) == 0x80;
      return continues ? i : s.size();
    }
    i += k;
  }
  return i;
}

// One code point of a pre-tokenizer fragment.
struct code_point {
  std::uint32_t cp;
  std::uint32_t offset;  // of its first byte in the fragment
  char_class cls;
};

bool is_contraction_letter(std::uint32_t c) { return c == 's' || c == 't' || c == 'm' || c == 'd'; }

// GPT-2's pattern over one fragment, pushing each piece's end offset (bytes):
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// The alternatives are tried in this order at each position, as a backtracking regex does.
// The pattern matches every code point, so the pieces tile the fragment.
void split_gpt2(const std::vector<code_point>& s, std::uint32_t bytes, std::vector<std::uint32_t>& ends) {
  const std::size_t n = s.size();
  auto run_of = [&](std::size_t i, char_class c) {
    while (i < n && s[i].cls == c) ++i;
    return i;
  };
  std::size_t i = 0;
  while (i < n) {
    std::size_t j;
    const std::uint32_t c = s[i].cp;
    const std::uint32_t c1 = i + 1 < n ? s[i + 1].cp : 0, c2 = i + 2 < n ? s[i + 2].cp : 0;
    if (c == '\'' && is_contraction_letter(c1)) {
      j = i + 2;
    } else if (c == '\'' && ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l'))) {
      j = i + 3;
    } else {
      const std::size_t k = (c == ' ' && i + 1 < n && s[i + 1].cls != char_class::space) ? i + 1 : i;
      const char_class kc = s[k].cls;
      if (kc != char_class::space) {
        // ` ?\p{L}+`, ` ?\p{N}+` or ` ?[^\s\p{L}\p{N}]+`: a run of one class, after an optional blank.
        j = run_of(k, kc);
      } else {
        // `\s+(?!\S)` takes the blank run but its last character when a non-blank follows
        // (that one then starts the next piece, e.g. " word"); `\s+` takes a run of one.
        const std::size_t end = run_of(i, char_class::space);
        j = (end < n && end - i >= 2) ? end - 1 : end;
      }
    }
    ends.push_back(j < n ? s[j].offset : bytes);
    i = j;
  }
}

}  // namespace

char_class classify(std::uint32_t cp) {
  switch (cp) {  // Unicode's White_Space property
    case 0x09: case 0x0a: case 0x0b: case 0x0c: case 0x0d: case 0x20: case 0x85: case 0xa0:
    case 0x1680: case 0x2028: case 0x2029: case 0x202f: case 0x205f: case 0x3000:
      return char_class::space;
    default:
      if (cp >= 0x2000 && cp <= 0x200a) return char_class::space;
  }
  const unicode_range* end = kUnicodeRanges + kUnicodeRangeCount;
  const unicode_range* r =
      std::upper_bound(kUnicodeRanges, end, cp, [](std::uint32_t c, const unicode_range& x) { return c < x.first; });
  if (r == kUnicodeRanges) return char_class::other;
  --r;
  return cp <= r->last ? r->cls : char_class::other;
}

tokenizer::tokenizer(const gguf_file& f) {
  if (!f.has("tokenizer.ggml.model"))
    detail::fail(kWhere, "the file has no tokenizer (no tokenizer.ggml.model); supported: \"gpt2\"");
  const std::string model = f.get_string("tokenizer.ggml.model");
  if (model != "gpt2")
    detail::fail(kWhere, "tokenizer.ggml.model is \"", model, "\"; supported: \"gpt2\" (byte-level BPE)");
  pre_ = f.has("tokenizer.ggml.pre") ? f.get_string("tokenizer.ggml.pre") : std::string("(none)");
  if (pre_ == "smollm") split_digits_ = true;
  else if (pre_ != "gpt2")
    detail::fail(kWhere, "tokenizer.ggml.pre is \"", pre_, "\", a pre-tokenizer this tokenizer does not know; supported: ",
                 kPreTokenizers);

  text_ = f.get_strings("tokenizer.ggml.tokens");
  const std::size_t n = text_.size();
  if (n == 0 || n > 0x7fffffff) detail::fail(kWhere, "tokenizer.ggml.tokens has ", n, " tokens; 1 to 2^31 - 1 are legal");
  type_.assign(n, kNormal);
  if (f.has("tokenizer.ggml.token_type")) {
    const std::vector<std::int64_t> types = f.get_ints("tokenizer.ggml.token_type");
    if (types.size() != n)
      detail::fail(kWhere, "tokenizer.ggml.token_type has ", types.size(), " entries for ", n, " tokens");
    for (std::size_t i = 0; i < n; ++i) {
      if (types[i] < 0 || types[i] > 255)
        detail::fail(kWhere, "tokenizer.ggml.token_type[", i, "] = ", types[i], " is not a token type (0 to 255)");
      type_[i] = static_cast<std::uint8_t>(types[i]);
    }
  }
  id_of_.reserve(n);
  for (std::size_t i = 0; i < n; ++i) id_of_[text_[i]] = static_cast<std::int32_t>(i);

  // What each token decodes to: control and user-defined tokens are plain text; the others
  // are spelled in the byte alphabet, and a character outside it stands for itself.
  bytes_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::string& t = text_[i];
    if (type_[i] == kControl || type_[i] == kUserDefined) {
      bytes_[i] = t;
      if (!t.empty()) specials_.push_back(static_cast<std::int32_t>(i));
      continue;
    }
    const auto* p = reinterpret_cast<const unsigned char*>(t.data());
    for (std::size_t at = 0, len = 0; at < t.size(); at += len) {
      const std::uint32_t cp = next_code_point(p + at, t.size() - at, len);
      if (cp < 0x144 && kAlphabet.byte_of[cp] >= 0) bytes_[i] += static_cast<char>(kAlphabet.byte_of[cp]);
      else bytes_[i].append(t, at, len);
    }
  }
  std::stable_sort(specials_.begin(), specials_.end(),
                   [&](std::int32_t a, std::int32_t b) { return text_[a].size() > text_[b].size(); });

  // A byte without a token is dropped from the text it occurs in, as HF tokenizers does
  // (llama.cpp too, after the merges). SmolLM2's vocabulary lacks 21: the bytes UTF-8 never
  // uses (0xC0, 0xC1, 0xF5..0xFF), the lead bytes 0xF1 and 0xF2 (planes 4 to 12) and the
  // controls 0x04, 0x06, 0x13, 0x14, 0x16 and 0x1D.
  for (int b = 0; b < 256; ++b) {
    std::string symbol;
    append_utf8(symbol, kAlphabet.cp_of[b]);
    const auto it = id_of_.find(symbol);
    byte_id_[b] = it == id_of_.end() ? -1 : it->second;
  }

  // Merges: "left right", ranked by their order. A repeated pair keeps its first rank, as
  // llama.cpp does.
  if (!f.has("tokenizer.ggml.merges")) detail::fail(kWhere, "the file has no tokenizer.ggml.merges");
  const std::vector<std::string> merges = f.get_strings("tokenizer.ggml.merges");
  if (merges.size() > 0x7fffffff) detail::fail(kWhere, "tokenizer.ggml.merges has ", merges.size(), " entries");
  merges_.reserve(merges.size());
  for (std::size_t r = 0; r < merges.size(); ++r) {
    const std::string& m = merges[r];
    const std::size_t space = m.find(' ');
    if (space == std::string::npos || m.find(' ', space + 1) != std::string::npos)
      detail::fail(kWhere, "tokenizer.ggml.merges[", r, "] = \"", m, "\" is not two tokens separated by one space");
    const std::string left = m.substr(0, space), right = m.substr(space + 1);
    const auto l = id_of_.find(left), rt = id_of_.find(right), res = id_of_.find(left + right);
    if (l == id_of_.end() || rt == id_of_.end() || res == id_of_.end())
      detail::fail(kWhere, "tokenizer.ggml.merges[", r, "] = \"", m, "\" names a token not in the vocabulary: \"",
                   l == id_of_.end() ? left : rt == id_of_.end() ? right : left + right, "\"");
    merges_.emplace(pair_key(l->second, rt->second), merge{static_cast<std::int32_t>(r), res->second});
  }

  auto special_id = [&](const char* key) {
    if (!f.has(key)) return std::int32_t{-1};
    const std::int64_t id = f.get_int(key);
    if (id < 0 || id >= static_cast<std::int64_t>(n))
      detail::fail(kWhere, key, " = ", id, " is out of range; the vocabulary has ", n, " tokens");
    return static_cast<std::int32_t>(id);
  };
  bos_ = special_id("tokenizer.ggml.bos_token_id");
  eos_ = special_id("tokenizer.ggml.eos_token_id");
  if (f.has("tokenizer.ggml.add_bos_token")) add_bos_ = f.get_bool("tokenizer.ggml.add_bos_token");
}

void tokenizer::check_id(const char* what, std::int32_t id) const {
  if (id < 0 || static_cast<std::size_t>(id) >= text_.size())
    detail::fail(kWhere, what, ": token id ", id, " is out of range; the vocabulary has ", text_.size(), " tokens");
}

const std::string& tokenizer::token_bytes(std::int32_t id) const {
  check_id("token_bytes", id);
  return bytes_[static_cast<std::size_t>(id)];
}

const std::string& tokenizer::token_text(std::int32_t id) const {
  check_id("token_text", id);
  return text_[static_cast<std::size_t>(id)];
}

bool tokenizer::is_control(std::int32_t id) const {
  check_id("is_control", id);
  return type_[static_cast<std::size_t>(id)] == kControl;
}

std::string tokenizer::decode(const std::vector<std::int32_t>& ids) const {
  std::string out;
  for (const std::int32_t id : ids) {
    check_id("decode", id);
    out += bytes_[static_cast<std::size_t>(id)];
  }
  return out;
}

// BPE over one piece: start from its bytes' tokens and merge the lowest-ranked adjacent
// pair (the leftmost among equals) until no pair has a merge. Candidates wait in a heap; one
// that comes out stale (a side already merged into something else) is dropped: a symbol's
// token only ever grows, so an unchanged (left, right) id pair means an unchanged pair.
void tokenizer::encode_piece(std::string_view piece, std::vector<std::int32_t>& out) const {
  if (piece.size() == 1) {
    const std::int32_t id = byte_id_[static_cast<unsigned char>(piece[0])];
    if (id >= 0) out.push_back(id);
    return;
  }
  struct symbol {
    std::int32_t id, prev, next;
  };
  struct candidate {
    std::int32_t rank, pos, left, right, result;
    bool operator<(const candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::vector<symbol> sym;
  sym.reserve(piece.size());
  for (const char c : piece) {  // bytes without a token drop out before any merge
    const std::int32_t id = byte_id_[static_cast<unsigned char>(c)];
    if (id >= 0) sym.push_back({id, static_cast<std::int32_t>(sym.size()) - 1, static_cast<std::int32_t>(sym.size()) + 1});
  }
  const int n = static_cast<int>(sym.size());
  if (n == 0) return;
  sym.back().next = -1;
  std::priority_queue<candidate> heap;
  auto consider = [&](int pos) {
    if (pos < 0 || sym[pos].next < 0) return;
    const auto it = merges_.find(pair_key(sym[pos].id, sym[sym[pos].next].id));
    if (it != merges_.end()) heap.push({it->second.rank, pos, sym[pos].id, sym[sym[pos].next].id, it->second.result});
  };
  for (int i = 0; i + 1 < n; ++i) consider(i);
  while (!heap.empty()) {
    const candidate c = heap.top();
    heap.pop();
    symbol& s = sym[c.pos];
    if (s.id != c.left || s.next < 0 || sym[s.next].id != c.right) continue;
    const int gone = s.next;
    s.id = c.result;
    s.next = sym[gone].next;
    if (s.next >= 0) sym[s.next].prev = c.pos;
    sym[gone].id = -1;
    consider(s.prev);
    consider(c.pos);
  }
  for (int i = 0; i >= 0; i = sym[i].next) out.push_back(sym[i].id);
}

// Pre-tokenization of text without special tokens: cut the \p{N} code points out one by one
// when the pre-tokenizer says so ("smollm"), split each fragment by GPT-2's pattern, then BPE.
void tokenizer::encode_text(std::string_view text, std::vector<std::int32_t>& out) const {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  std::vector<code_point> frag;
  std::vector<std::uint32_t> ends;
  std::size_t frag_start = 0;
  auto flush = [&](std::size_t frag_end) {
    if (frag.empty()) return;
    ends.clear();
    split_gpt2(frag, static_cast<std::uint32_t>(frag_end - frag_start), ends);
    std::uint32_t begin = 0;
    for (const std::uint32_t end : ends) {
      encode_piece(text.substr(frag_start + begin, end - begin), out);
      begin = end;
    }
    frag.clear();
  };
  for (std::size_t at = 0, len = 0; at < text.size(); at += len) {
    const std::uint32_t cp = next_code_point(p + at, text.size() - at, len);
    const char_class cls = cp == kInvalid ? char_class::other : classify(cp);
    if (split_digits_ && cls == char_class::number) {
      flush(at);
      encode_piece(text.substr(at, len), out);
      frag_start = at + len;
      continue;
    }
    if (frag.empty()) frag_start = at;
    frag.push_back({cp, static_cast<std::uint32_t>(at - frag_start), cls});
  }
  flush(text.size());
}

std::vector<std::int32_t> tokenizer::encode(std::string_view text, bool parse_special) const {
  if (text.size() > 0xffffffffu) detail::fail(kWhere, "encode: text of ", text.size(), " bytes; at most 4 GiB");
  std::vector<std::int32_t> out;
  out.reserve(text.size() / 3);
  // Special tokens, leftmost first, the longest where several start at one place.
  std::size_t plain = 0;
  for (std::size_t at = 0; at < text.size();) {
    std::int32_t hit = -1;
    for (const std::int32_t id : specials_) {
      if (!parse_special && type_[static_cast<std::size_t>(id)] == kControl) continue;
      const std::string& s = text_[static_cast<std::size_t>(id)];
      if (s[0] == text[at] && text.compare(at, s.size(), s) == 0) {
        hit = id;
        break;
      }
    }
    if (hit < 0) {
      ++at;
      continue;
    }
    encode_text(text.substr(plain, at - plain), out);
    out.push_back(hit);
    at += text_[static_cast<std::size_t>(hit)].size();
    plain = at;
  }
  encode_text(text.substr(plain), out);
  return out;
}

std::string utf8_stream::push(std::int32_t id) {
  pending_ += tok_->token_bytes(id);
  const std::size_t ready = complete_utf8_prefix(pending_);
  std::string out = pending_.substr(0, ready);
  pending_.erase(0, ready);
  return out;
}

std::string utf8_stream::flush() {
  std::string out;
  out.swap(pending_);
  return out;
}

namespace {

constexpr char_class L = char_class::letter, N = char_class::number;

// The letter (\p{L}: Lu, Ll, Lt, Lm, Lo) and number (\p{N}: Nd, Nl, No) code points of
// Unicode 14.0, as merged ranges sorted by their first code point: 782 ranges, 6 KiB. Every
// code point outside them and outside White_Space is "other" (marks, punctuation, symbols,
// controls, unassigned). check_tokenizer.py compares the classes with unicodedata.
// Generated by tests/decoder/check_tokenizer.py --unicode-table (Python's unicodedata, Unicode 14.0.0).
const unicode_range kUnicodeRanges[] = {
    {0x30, 0x39, N}, {0x41, 0x5a, L}, {0x61, 0x7a, L}, {0xaa, 0xaa, L},
    {0xb2, 0xb3, N}, {0xb5, 0xb5, L}, {0xb9, 0xb9, N}, {0xba, 0xba, L},
    {0xbc, 0xbe, N}, {0xc0, 0xd6, L}, {0xd8, 0xf6, L}, {0xf8, 0x2c1, L},
    {0x2c6, 0x2d1, L}, {0x2e0, 0x2e4, L}, {0x2ec, 0x2ec, L}, {0x2ee, 0x2ee, L},
    {0x370, 0x374, L}, {0x376, 0x377, L}, {0x37a, 0x37d, L}, {0x37f, 0x37f, L},
    {0x386, 0x386, L}, {0x388, 0x38a, L}, {0x38c, 0x38c, L}, {0x38e, 0x3a1, L},
    {0x3a3, 0x3f5, L}, {0x3f7, 0x481, L}, {0x48a, 0x52f, L}, {0x531, 0x556, L},
    {0x559, 0x559, L}, {0x560, 0x588, L}, {0x5d0, 0x5ea, L}, {0x5ef, 0x5f2, L},
    {0x620, 0x64a, L}, {0x660, 0x669, N}, {0x66e, 0x66f, L}, {0x671, 0x6d3, L},
    {0x6d5, 0x6d5, L}, {0x6e5, 0x6e6, L}, {0x6ee, 0x6ef, L}, {0x6f0, 0x6f9, N},
    {0x6fa, 0x6fc, L}, {0x6ff, 0x6ff, L}, {0x710, 0x710, L}, {0x712, 0x72f, L},
    {0x74d, 0x7a5, L}, {0x7b1, 0x7b1, L}, {0x7c0, 0x7c9, N}, {0x7ca, 0x7ea, L},
    {0x7f4, 0x7f5, L}, {0x7fa, 0x7fa, L}, {0x800, 0x815, L}, {0x81a, 0x81a, L},
    {0x824, 0x824, L}, {0x828, 0x828, L}, {0x840, 0x858, L}, {0x860, 0x86a, L},
    {0x870, 0x887, L}, {0x889, 0x88e, L}, {0x8a0, 0x8c9, L}, {0x904, 0x939, L},
    {0x93d, 0x93d, L}, {0x950, 0x950, L}, {0x958, 0x961, L}, {0x966, 0x96f, N},
    {0x971, 0x980, L}, {0x985, 0x98c, L}, {0x98f, 0x990, L}, {0x993, 0x9a8, L},
    {0x9aa, 0x9b0, L}, {0x9b2, 0x9b2, L}, {0x9b6, 0x9b9, L}, {0x9bd, 0x9bd, L},
    {0x9ce, 0x9ce, L}, {0x9dc, 0x9dd, L}, {0x9df, 0x9e1, L}, {0x9e6, 0x9ef, N},
    {0x9f0, 0x9f1, L}, {0x9f4, 0x9f9, N}, {0x9fc, 0x9fc, L}, {0xa05, 0xa0a, L},
    {0xa0f, 0xa10, L}, {0xa13, 0xa28, L}, {0xa2a, 0xa30, L}, {0xa32, 0xa33, L},
    {0xa35, 0xa36, L}, {0xa38, 0xa39, L}, {0xa59, 0xa5c, L}, {0xa5e, 0xa5e, L},
    {0xa66, 0xa6f, N}, {0xa72, 0xa74, L}, {0xa85, 0xa8d, L}, {0xa8f, 0xa91, L},
    {0xa93, 0xaa8, L}, {0xaaa, 0xab0, L}, {0xab2, 0xab3, L}, {0xab5, 0xab9, L},
    {0xabd, 0xabd, L}, {0xad0, 0xad0, L}, {0xae0, 0xae1, L}, {0xae6, 0xaef, N},
    {0xaf9, 0xaf9, L}, {0xb05, 0xb0c, L}, {0xb0f, 0xb10, L}, {0xb13, 0xb28, L},
    {0xb2a, 0xb30, L}, {0xb32, 0xb33, L}, {0xb35, 0xb39, L}, {0xb3d, 0xb3d, L},
    {0xb5c, 0xb5d, L}, {0xb5f, 0xb61, L}, {0xb66, 0xb6f, N}, {0xb71, 0xb71, L},
    {0xb72, 0xb77, N}, {0xb83, 0xb83, L}, {0xb85, 0xb8a, L}, {0xb8e, 0xb90, L},
    {0xb92, 0xb95, L}, {0xb99, 0xb9a, L}, {0xb9c, 0xb9c, L}, {0xb9e, 0xb9f, L},
    {0xba3, 0xba4, L}, {0xba8, 0xbaa, L}, {0xbae, 0xbb9, L}, {0xbd0, 0xbd0, L},
    {0xbe6, 0xbf2, N}, {0xc05, 0xc0c, L}, {0xc0e, 0xc10, L}, {0xc12, 0xc28, L},
    {0xc2a, 0xc39, L}, {0xc3d, 0xc3d, L}, {0xc58, 0xc5a, L}, {0xc5d, 0xc5d, L},
    {0xc60, 0xc61, L}, {0xc66, 0xc6f, N}, {0xc78, 0xc7e, N}, {0xc80, 0xc80, L},
    {0xc85, 0xc8c, L}, {0xc8e, 0xc90, L}, {0xc92, 0xca8, L}, {0xcaa, 0xcb3, L},
    {0xcb5, 0xcb9, L}, {0xcbd, 0xcbd, L}, {0xcdd, 0xcde, L}, {0xce0, 0xce1, L},
    {0xce6, 0xcef, N}, {0xcf1, 0xcf2, L}, {0xd04, 0xd0c, L}, {0xd0e, 0xd10, L},
    {0xd12, 0xd3a, L}, {0xd3d, 0xd3d, L}, {0xd4e, 0xd4e, L}, {0xd54, 0xd56, L},
    {0xd58, 0xd5e, N}, {0xd5f, 0xd61, L}, {0xd66, 0xd78, N}, {0xd7a, 0xd7f, L},
    {0xd85, 0xd96, L}, {0xd9a, 0xdb1, L}, {0xdb3, 0xdbb, L}, {0xdbd, 0xdbd, L},
    {0xdc0, 0xdc6, L}, {0xde6, 0xdef, N}, {0xe01, 0xe30, L}, {0xe32, 0xe33, L},
    {0xe40, 0xe46, L}, {0xe50, 0xe59, N}, {0xe81, 0xe82, L}, {0xe84, 0xe84, L},
    {0xe86, 0xe8a, L}, {0xe8c, 0xea3, L}, {0xea5, 0xea5, L}, {0xea7, 0xeb0, L},
    {0xeb2, 0xeb3, L}, {0xebd, 0xebd, L}, {0xec0, 0xec4, L}, {0xec6, 0xec6, L},
    {0xed0, 0xed9, N}, {0xedc, 0xedf, L}, {0xf00, 0xf00, L}, {0xf20, 0xf33, N},
    {0xf40, 0xf47, L}, {0xf49, 0xf6c, L}, {0xf88, 0xf8c, L}, {0x1000, 0x102a, L},
    {0x103f, 0x103f, L}, {0x1040, 0x1049, N}, {0x1050, 0x1055, L}, {0x105a, 0x105d, L},
    {0x1061, 0x1061, L}, {0x1065, 0x1066, L}, {0x106e, 0x1070, L}, {0x1075, 0x1081, L},
    {0x108e, 0x108e, L}, {0x1090, 0x1099, N}, {0x10a0, 0x10c5, L}, {0x10c7, 0x10c7, L},
    {0x10cd, 0x10cd, L}, {0x10d0, 0x10fa, L}, {0x10fc, 0x1248, L}, {0x124a, 0x124d, L},
    {0x1250, 0x1256, L}, {0x1258, 0x1258, L}, {0x125a, 0x125d, L}, {0x1260, 0x1288, L},
    {0x128a, 0x128d, L}, {0x1290, 0x12b0, L}, {0x12b2, 0x12b5, L}, {0x12b8, 0x12be, L},
    {0x12c0, 0x12c0, L}, {0x12c2, 0x12c5, L}, {0x12c8, 0x12d6, L}, {0x12d8, 0x1310, L},
    {0x1312, 0x1315, L}, {0x1318, 0x135a, L}, {0x1369, 0x137c, N}, {0x1380, 0x138f, L},
    {0x13a0, 0x13f5, L}, {0x13f8, 0x13fd, L}, {0x1401, 0x166c, L}, {0x166f, 0x167f, L},
    {0x1681, 0x169a, L}, {0x16a0, 0x16ea, L}, {0x16ee, 0x16f0, N}, {0x16f1, 0x16f8, L},
    {0x1700, 0x1711, L}, {0x171f, 0x1731, L}, {0x1740, 0x1751, L}, {0x1760, 0x176c, L},
    {0x176e, 0x1770, L}, {0x1780, 0x17b3, L}, {0x17d7, 0x17d7, L}, {0x17dc, 0x17dc, L},
    {0x17e0, 0x17e9, N}, {0x17f0, 0x17f9, N}, {0x1810, 0x1819, N}, {0x1820, 0x1878, L},
    {0x1880, 0x1884, L}, {0x1887, 0x18a8, L}, {0x18aa, 0x18aa, L}, {0x18b0, 0x18f5, L},
    {0x1900, 0x191e, L}, {0x1946, 0x194f, N}, {0x1950, 0x196d, L}, {0x1970, 0x1974, L},
    {0x1980, 0x19ab, L}, {0x19b0, 0x19c9, L}, {0x19d0, 0x19da, N}, {0x1a00, 0x1a16, L},
    {0x1a20, 0x1a54, L}, {0x1a80, 0x1a89, N}, {0x1a90, 0x1a99, N}, {0x1aa7, 0x1aa7, L},
    {0x1b05, 0x1b33, L}, {0x1b45, 0x1b4c, L}, {0x1b50, 0x1b59, N}, {0x1b83, 0x1ba0, L},
    {0x1bae, 0x1baf, L}, {0x1bb0, 0x1bb9, N}, {0x1bba, 0x1be5, L}, {0x1c00, 0x1c23, L},
    {0x1c40, 0x1c49, N}, {0x1c4d, 0x1c4f, L}, {0x1c50, 0x1c59, N}, {0x1c5a, 0x1c7d, L},
    {0x1c80, 0x1c88, L}, {0x1c90, 0x1cba, L}, {0x1cbd, 0x1cbf, L}, {0x1ce9, 0x1cec, L},
    {0x1cee, 0x1cf3, L}, {0x1cf5, 0x1cf6, L}, {0x1cfa, 0x1cfa, L}, {0x1d00, 0x1dbf, L},
    {0x1e00, 0x1f15, L}, {0x1f18, 0x1f1d, L}, {0x1f20, 0x1f45, L}, {0x1f48, 0x1f4d, L},
    {0x1f50, 0x1f57, L}, {0x1f59, 0x1f59, L}, {0x1f5b, 0x1f5b, L}, {0x1f5d, 0x1f5d, L},
    {0x1f5f, 0x1f7d, L}, {0x1f80, 0x1fb4, L}, {0x1fb6, 0x1fbc, L}, {0x1fbe, 0x1fbe, L},
    {0x1fc2, 0x1fc4, L}, {0x1fc6, 0x1fcc, L}, {0x1fd0, 0x1fd3, L}, {0x1fd6, 0x1fdb, L},
    {0x1fe0, 0x1fec, L}, {0x1ff2, 0x1ff4, L}, {0x1ff6, 0x1ffc, L}, {0x2070, 0x2070, N},
    {0x2071, 0x2071, L}, {0x2074, 0x2079, N}, {0x207f, 0x207f, L}, {0x2080, 0x2089, N},
    {0x2090, 0x209c, L}, {0x2102, 0x2102, L}, {0x2107, 0x2107, L}, {0x210a, 0x2113, L},
    {0x2115, 0x2115, L}, {0x2119, 0x211d, L}, {0x2124, 0x2124, L}, {0x2126, 0x2126, L},
    {0x2128, 0x2128, L}, {0x212a, 0x212d, L}, {0x212f, 0x2139, L}, {0x213c, 0x213f, L},
    {0x2145, 0x2149, L}, {0x214e, 0x214e, L}, {0x2150, 0x2182, N}, {0x2183, 0x2184, L},
    {0x2185, 0x2189, N}, {0x2460, 0x249b, N}, {0x24ea, 0x24ff, N}, {0x2776, 0x2793, N},
    {0x2c00, 0x2ce4, L}, {0x2ceb, 0x2cee, L}, {0x2cf2, 0x2cf3, L}, {0x2cfd, 0x2cfd, N},
    {0x2d00, 0x2d25, L}, {0x2d27, 0x2d27, L}, {0x2d2d, 0x2d2d, L}, {0x2d30, 0x2d67, L},
    {0x2d6f, 0x2d6f, L}, {0x2d80, 0x2d96, L}, {0x2da0, 0x2da6, L}, {0x2da8, 0x2dae, L},
    {0x2db0, 0x2db6, L}, {0x2db8, 0x2dbe, L}, {0x2dc0, 0x2dc6, L}, {0x2dc8, 0x2dce, L},
    {0x2dd0, 0x2dd6, L}, {0x2dd8, 0x2dde, L}, {0x2e2f, 0x2e2f, L}, {0x3005, 0x3006, L},
    {0x3007, 0x3007, N}, {0x3021, 0x3029, N}, {0x3031, 0x3035, L}, {0x3038, 0x303a, N},
    {0x303b, 0x303c, L}, {0x3041, 0x3096, L}, {0x309d, 0x309f, L}, {0x30a1, 0x30fa, L},
    {0x30fc, 0x30ff, L}, {0x3105, 0x312f, L}, {0x3131, 0x318e, L}, {0x3192, 0x3195, N},
    {0x31a0, 0x31bf, L}, {0x31f0, 0x31ff, L}, {0x3220, 0x3229, N}, {0x3248, 0x324f, N},
    {0x3251, 0x325f, N}, {0x3280, 0x3289, N}, {0x32b1, 0x32bf, N}, {0x3400, 0x4dbf, L},
    {0x4e00, 0xa48c, L}, {0xa4d0, 0xa4fd, L}, {0xa500, 0xa60c, L}, {0xa610, 0xa61f, L},
    {0xa620, 0xa629, N}, {0xa62a, 0xa62b, L}, {0xa640, 0xa66e, L}, {0xa67f, 0xa69d, L},
    {0xa6a0, 0xa6e5, L}, {0xa6e6, 0xa6ef, N}, {0xa717, 0xa71f, L}, {0xa722, 0xa788, L},
    {0xa78b, 0xa7ca, L}, {0xa7d0, 0xa7d1, L}, {0xa7d3, 0xa7d3, L}, {0xa7d5, 0xa7d9, L},
    {0xa7f2, 0xa801, L}, {0xa803, 0xa805, L}, {0xa807, 0xa80a, L}, {0xa80c, 0xa822, L},
    {0xa830, 0xa835, N}, {0xa840, 0xa873, L}, {0xa882, 0xa8b3, L}, {0xa8d0, 0xa8d9, N},
    {0xa8f2, 0xa8f7, L}, {0xa8fb, 0xa8fb, L}, {0xa8fd, 0xa8fe, L}, {0xa900, 0xa909, N},
    {0xa90a, 0xa925, L}, {0xa930, 0xa946, L}, {0xa960, 0xa97c, L}, {0xa984, 0xa9b2, L},
    {0xa9cf, 0xa9cf, L}, {0xa9d0, 0xa9d9, N}, {0xa9e0, 0xa9e4, L}, {0xa9e6, 0xa9ef, L},
    {0xa9f0, 0xa9f9, N}, {0xa9fa, 0xa9fe, L}, {0xaa00, 0xaa28, L}, {0xaa40, 0xaa42, L},
    {0xaa44, 0xaa4b, L}, {0xaa50, 0xaa59, N}, {0xaa60, 0xaa76, L}, {0xaa7a, 0xaa7a, L},
    {0xaa7e, 0xaaaf, L}, {0xaab1, 0xaab1, L}, {0xaab5, 0xaab6, L}, {0xaab9, 0xaabd, L},
    {0xaac0, 0xaac0, L}, {0xaac2, 0xaac2, L}, {0xaadb, 0xaadd, L}, {0xaae0, 0xaaea, L},
    {0xaaf2, 0xaaf4, L}, {0xab01, 0xab06, L}, {0xab09, 0xab0e, L}, {0xab11, 0xab16, L},
    {0xab20, 0xab26, L}, {0xab28, 0xab2e, L}, {0xab30, 0xab5a, L}, {0xab5c, 0xab69, L},
    {0xab70, 0xabe2, L}, {0xabf0, 0xabf9, N}, {0xac00, 0xd7a3, L}, {0xd7b0, 0xd7c6, L},
    {0xd7cb, 0xd7fb, L}, {0xf900, 0xfa6d, L}, {0xfa70, 0xfad9, L}, {0xfb00, 0xfb06, L},
    {0xfb13, 0xfb17, L}, {0xfb1d, 0xfb1d, L}, {0xfb1f, 0xfb28, L}, {0xfb2a, 0xfb36, L},
    {0xfb38, 0xfb3c, L}, {0xfb3e, 0xfb3e, L}, {0xfb40, 0xfb41, L}, {0xfb43, 0xfb44, L},
    {0xfb46, 0xfbb1, L}, {0xfbd3, 0xfd3d, L}, {0xfd50, 0xfd8f, L}, {0xfd92, 0xfdc7, L},
    {0xfdf0, 0xfdfb, L}, {0xfe70, 0xfe74, L}, {0xfe76, 0xfefc, L}, {0xff10, 0xff19, N},
    {0xff21, 0xff3a, L}, {0xff41, 0xff5a, L}, {0xff66, 0xffbe, L}, {0xffc2, 0xffc7, L},
    {0xffca, 0xffcf, L}, {0xffd2, 0xffd7, L}, {0xffda, 0xffdc, L}, {0x10000, 0x1000b, L},
    {0x1000d, 0x10026, L}, {0x10028, 0x1003a, L}, {0x1003c, 0x1003d, L}, {0x1003f, 0x1004d, L},
    {0x10050, 0x1005d, L}, {0x10080, 0x100fa, L}, {0x10107, 0x10133, N}, {0x10140, 0x10178, N},
    {0x1018a, 0x1018b, N}, {0x10280, 0x1029c, L}, {0x102a0, 0x102d0, L}, {0x102e1, 0x102fb, N},
    {0x10300, 0x1031f, L}, {0x10320, 0x10323, N}, {0x1032d, 0x10340, L}, {0x10341, 0x10341, N},
    {0x10342, 0x10349, L}, {0x1034a, 0x1034a, N}, {0x10350, 0x10375, L}, {0x10380, 0x1039d, L},
    {0x103a0, 0x103c3, L}, {0x103c8, 0x103cf, L}, {0x103d1, 0x103d5, N}, {0x10400, 0x1049d, L},
    {0x104a0, 0x104a9, N}, {0x104b0, 0x104d3, L}, {0x104d8, 0x104fb, L}, {0x10500, 0x10527, L},
    {0x10530, 0x10563, L}, {0x10570, 0x1057a, L}, {0x1057c, 0x1058a, L}, {0x1058c, 0x10592, L},
    {0x10594, 0x10595, L}, {0x10597, 0x105a1, L}, {0x105a3, 0x105b1, L}, {0x105b3, 0x105b9, L},
    {0x105bb, 0x105bc, L}, {0x10600, 0x10736, L}, {0x10740, 0x10755, L}, {0x10760, 0x10767, L},
    {0x10780, 0x10785, L}, {0x10787, 0x107b0, L}, {0x107b2, 0x107ba, L}, {0x10800, 0x10805, L},
    {0x10808, 0x10808, L}, {0x1080a, 0x10835, L}, {0x10837, 0x10838, L}, {0x1083c, 0x1083c, L},
    {0x1083f, 0x10855, L}, {0x10858, 0x1085f, N}, {0x10860, 0x10876, L}, {0x10879, 0x1087f, N},
    {0x10880, 0x1089e, L}, {0x108a7, 0x108af, N}, {0x108e0, 0x108f2, L}, {0x108f4, 0x108f5, L},
    {0x108fb, 0x108ff, N}, {0x10900, 0x10915, L}, {0x10916, 0x1091b, N}, {0x10920, 0x10939, L},
    {0x10980, 0x109b7, L}, {0x109bc, 0x109bd, N}, {0x109be, 0x109bf, L}, {0x109c0, 0x109cf, N},
    {0x109d2, 0x109ff, N}, {0x10a00, 0x10a00, L}, {0x10a10, 0x10a13, L}, {0x10a15, 0x10a17, L},
    {0x10a19, 0x10a35, L}, {0x10a40, 0x10a48, N}, {0x10a60, 0x10a7c, L}, {0x10a7d, 0x10a7e, N},
    {0x10a80, 0x10a9c, L}, {0x10a9d, 0x10a9f, N}, {0x10ac0, 0x10ac7, L}, {0x10ac9, 0x10ae4, L},
    {0x10aeb, 0x10aef, N}, {0x10b00, 0x10b35, L}, {0x10b40, 0x10b55, L}, {0x10b58, 0x10b5f, N},
    {0x10b60, 0x10b72, L}, {0x10b78, 0x10b7f, N}, {0x10b80, 0x10b91, L}, {0x10ba9, 0x10baf, N},
    {0x10c00, 0x10c48, L}, {0x10c80, 0x10cb2, L}, {0x10cc0, 0x10cf2, L}, {0x10cfa, 0x10cff, N},
    {0x10d00, 0x10d23, L}, {0x10d30, 0x10d39, N}, {0x10e60, 0x10e7e, N}, {0x10e80, 0x10ea9, L},
    {0x10eb0, 0x10eb1, L}, {0x10f00, 0x10f1c, L}, {0x10f1d, 0x10f26, N}, {0x10f27, 0x10f27, L},
    {0x10f30, 0x10f45, L}, {0x10f51, 0x10f54, N}, {0x10f70, 0x10f81, L}, {0x10fb0, 0x10fc4, L},
    {0x10fc5, 0x10fcb, N}, {0x10fe0, 0x10ff6, L}, {0x11003, 0x11037, L}, {0x11052, 0x1106f, N},
    {0x11071, 0x11072, L}, {0x11075, 0x11075, L}, {0x11083, 0x110af, L}, {0x110d0, 0x110e8, L},
    {0x110f0, 0x110f9, N}, {0x11103, 0x11126, L}, {0x11136, 0x1113f, N}, {0x11144, 0x11144, L},
    {0x11147, 0x11147, L}, {0x11150, 0x11172, L}, {0x11176, 0x11176, L}, {0x11183, 0x111b2, L},
    {0x111c1, 0x111c4, L}, {0x111d0, 0x111d9, N}, {0x111da, 0x111da, L}, {0x111dc, 0x111dc, L},
    {0x111e1, 0x111f4, N}, {0x11200, 0x11211, L}, {0x11213, 0x1122b, L}, {0x11280, 0x11286, L},
    {0x11288, 0x11288, L}, {0x1128a, 0x1128d, L}, {0x1128f, 0x1129d, L}, {0x1129f, 0x112a8, L},
    {0x112b0, 0x112de, L}, {0x112f0, 0x112f9, N}, {0x11305, 0x1130c, L}, {0x1130f, 0x11310, L},
    {0x11313, 0x11328, L}, {0x1132a, 0x11330, L}, {0x11332, 0x11333, L}, {0x11335, 0x11339, L},
    {0x1133d, 0x1133d, L}, {0x11350, 0x11350, L}, {0x1135d, 0x11361, L}, {0x11400, 0x11434, L},
    {0x11447, 0x1144a, L}, {0x11450, 0x11459, N}, {0x1145f, 0x11461, L}, {0x11480, 0x114af, L},
    {0x114c4, 0x114c5, L}, {0x114c7, 0x114c7, L}, {0x114d0, 0x114d9, N}, {0x11580, 0x115ae, L},
    {0x115d8, 0x115db, L}, {0x11600, 0x1162f, L}, {0x11644, 0x11644, L}, {0x11650, 0x11659, N},
    {0x11680, 0x116aa, L}, {0x116b8, 0x116b8, L}, {0x116c0, 0x116c9, N}, {0x11700, 0x1171a, L},
    {0x11730, 0x1173b, N}, {0x11740, 0x11746, L}, {0x11800, 0x1182b, L}, {0x118a0, 0x118df, L},
    {0x118e0, 0x118f2, N}, {0x118ff, 0x11906, L}, {0x11909, 0x11909, L}, {0x1190c, 0x11913, L},
    {0x11915, 0x11916, L}, {0x11918, 0x1192f, L}, {0x1193f, 0x1193f, L}, {0x11941, 0x11941, L},
    {0x11950, 0x11959, N}, {0x119a0, 0x119a7, L}, {0x119aa, 0x119d0, L}, {0x119e1, 0x119e1, L},
    {0x119e3, 0x119e3, L}, {0x11a00, 0x11a00, L}, {0x11a0b, 0x11a32, L}, {0x11a3a, 0x11a3a, L},
    {0x11a50, 0x11a50, L}, {0x11a5c, 0x11a89, L}, {0x11a9d, 0x11a9d, L}, {0x11ab0, 0x11af8, L},
    {0x11c00, 0x11c08, L}, {0x11c0a, 0x11c2e, L}, {0x11c40, 0x11c40, L}, {0x11c50, 0x11c6c, N},
    {0x11c72, 0x11c8f, L}, {0x11d00, 0x11d06, L}, {0x11d08, 0x11d09, L}, {0x11d0b, 0x11d30, L},
    {0x11d46, 0x11d46, L}, {0x11d50, 0x11d59, N}, {0x11d60, 0x11d65, L}, {0x11d67, 0x11d68, L},
    {0x11d6a, 0x11d89, L}, {0x11d98, 0x11d98, L}, {0x11da0, 0x11da9, N}, {0x11ee0, 0x11ef2, L},
    {0x11fb0, 0x11fb0, L}, {0x11fc0, 0x11fd4, N}, {0x12000, 0x12399, L}, {0x12400, 0x1246e, N},
    {0x12480, 0x12543, L}, {0x12f90, 0x12ff0, L}, {0x13000, 0x1342e, L}, {0x14400, 0x14646, L},
    {0x16800, 0x16a38, L}, {0x16a40, 0x16a5e, L}, {0x16a60, 0x16a69, N}, {0x16a70, 0x16abe, L},
    {0x16ac0, 0x16ac9, N}, {0x16ad0, 0x16aed, L}, {0x16b00, 0x16b2f, L}, {0x16b40, 0x16b43, L},
    {0x16b50, 0x16b59, N}, {0x16b5b, 0x16b61, N}, {0x16b63, 0x16b77, L}, {0x16b7d, 0x16b8f, L},
    {0x16e40, 0x16e7f, L}, {0x16e80, 0x16e96, N}, {0x16f00, 0x16f4a, L}, {0x16f50, 0x16f50, L},
    {0x16f93, 0x16f9f, L}, {0x16fe0, 0x16fe1, L}, {0x16fe3, 0x16fe3, L}, {0x17000, 0x187f7, L},
    {0x18800, 0x18cd5, L}, {0x18d00, 0x18d08, L}, {0x1aff0, 0x1aff3, L}, {0x1aff5, 0x1affb, L},
    {0x1affd, 0x1affe, L}, {0x1b000, 0x1b122, L}, {0x1b150, 0x1b152, L}, {0x1b164, 0x1b167, L},
    {0x1b170, 0x1b2fb, L}, {0x1bc00, 0x1bc6a, L}, {0x1bc70, 0x1bc7c, L}, {0x1bc80, 0x1bc88, L},
    {0x1bc90, 0x1bc99, L}, {0x1d2e0, 0x1d2f3, N}, {0x1d360, 0x1d378, N}, {0x1d400, 0x1d454, L},
    {0x1d456, 0x1d49c, L}, {0x1d49e, 0x1d49f, L}, {0x1d4a2, 0x1d4a2, L}, {0x1d4a5, 0x1d4a6, L},
    {0x1d4a9, 0x1d4ac, L}, {0x1d4ae, 0x1d4b9, L}, {0x1d4bb, 0x1d4bb, L}, {0x1d4bd, 0x1d4c3, L},
    {0x1d4c5, 0x1d505, L}, {0x1d507, 0x1d50a, L}, {0x1d50d, 0x1d514, L}, {0x1d516, 0x1d51c, L},
    {0x1d51e, 0x1d539, L}, {0x1d53b, 0x1d53e, L}, {0x1d540, 0x1d544, L}, {0x1d546, 0x1d546, L},
    {0x1d54a, 0x1d550, L}, {0x1d552, 0x1d6a5, L}, {0x1d6a8, 0x1d6c0, L}, {0x1d6c2, 0x1d6da, L},
    {0x1d6dc, 0x1d6fa, L}, {0x1d6fc, 0x1d714, L}, {0x1d716, 0x1d734, L}, {0x1d736, 0x1d74e, L},
    {0x1d750, 0x1d76e, L}, {0x1d770, 0x1d788, L}, {0x1d78a, 0x1d7a8, L}, {0x1d7aa, 0x1d7c2, L},
    {0x1d7c4, 0x1d7cb, L}, {0x1d7ce, 0x1d7ff, N}, {0x1df00, 0x1df1e, L}, {0x1e100, 0x1e12c, L},
    {0x1e137, 0x1e13d, L}, {0x1e140, 0x1e149, N}, {0x1e14e, 0x1e14e, L}, {0x1e290, 0x1e2ad, L},
    {0x1e2c0, 0x1e2eb, L}, {0x1e2f0, 0x1e2f9, N}, {0x1e7e0, 0x1e7e6, L}, {0x1e7e8, 0x1e7eb, L},
    {0x1e7ed, 0x1e7ee, L}, {0x1e7f0, 0x1e7fe, L}, {0x1e800, 0x1e8c4, L}, {0x1e8c7, 0x1e8cf, N},
    {0x1e900, 0x1e943, L}, {0x1e94b, 0x1e94b, L}, {0x1e950, 0x1e959, N}, {0x1ec71, 0x1ecab, N},
    {0x1ecad, 0x1ecaf, N}, {0x1ecb1, 0x1ecb4, N}, {0x1ed01, 0x1ed2d, N}, {0x1ed2f, 0x1ed3d, N},
    {0x1ee00, 0x1ee03, L}, {0x1ee05, 0x1ee1f, L}, {0x1ee21, 0x1ee22, L}, {0x1ee24, 0x1ee24, L},
    {0x1ee27, 0x1ee27, L}, {0x1ee29, 0x1ee32, L}, {0x1ee34, 0x1ee37, L}, {0x1ee39, 0x1ee39, L},
    {0x1ee3b, 0x1ee3b, L}, {0x1ee42, 0x1ee42, L}, {0x1ee47, 0x1ee47, L}, {0x1ee49, 0x1ee49, L},
    {0x1ee4b, 0x1ee4b, L}, {0x1ee4d, 0x1ee4f, L}, {0x1ee51, 0x1ee52, L}, {0x1ee54, 0x1ee54, L},
    {0x1ee57, 0x1ee57, L}, {0x1ee59, 0x1ee59, L}, {0x1ee5b, 0x1ee5b, L}, {0x1ee5d, 0x1ee5d, L},
    {0x1ee5f, 0x1ee5f, L}, {0x1ee61, 0x1ee62, L}, {0x1ee64, 0x1ee64, L}, {0x1ee67, 0x1ee6a, L},
    {0x1ee6c, 0x1ee72, L}, {0x1ee74, 0x1ee77, L}, {0x1ee79, 0x1ee7c, L}, {0x1ee7e, 0x1ee7e, L},
    {0x1ee80, 0x1ee89, L}, {0x1ee8b, 0x1ee9b, L}, {0x1eea1, 0x1eea3, L}, {0x1eea5, 0x1eea9, L},
    {0x1eeab, 0x1eebb, L}, {0x1f100, 0x1f10c, N}, {0x1fbf0, 0x1fbf9, N}, {0x20000, 0x2a6df, L},
    {0x2a700, 0x2b738, L}, {0x2b740, 0x2b81d, L}, {0x2b820, 0x2cea1, L}, {0x2ceb0, 0x2ebe0, L},
    {0x2f800, 0x2fa1d, L}, {0x30000, 0x3134a, L},
};
const std::size_t kUnicodeRangeCount = sizeof kUnicodeRanges / sizeof kUnicodeRanges[0];

}  // namespace
}  // namespace actsparse::decoder
