// decoder/tokenizer.hpp: the byte-level BPE tokenizer of GPT-2 and its descendants, built
// from a GGUF file's own vocabulary (SmolLM2-135M-Instruct first).
//
// Encoding runs in four steps, as llama.cpp (llama-vocab.cpp) and HF tokenizers do it:
//  1. special tokens: the file's control tokens (token_type 3, e.g. <|im_start|>) are matched
//     whole, leftmost and longest first, when parse_special is set; user-defined tokens
//     (token_type 4) always are. The text between them goes on to step 2.
//  2. pre-tokenization, the split named by tokenizer.ggml.pre. "gpt2" is GPT-2's pattern
//       's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//     "smollm" first cuts every \p{N} code point out on its own (HF's Digits pre-tokenizer
//     with individual_digits; llama.cpp's first regex for LLAMA_VOCAB_PRE_TYPE_SMOLLM), then
//     applies GPT-2's pattern to each piece. The pattern is matched by hand: std::regex has no
//     \p{L}. The letter and number classes come from a table of Unicode 14.0 ranges
//     (tokenizer.cpp), \s is Unicode's White_Space.
//  3. each piece's UTF-8 bytes are spelled in GPT-2's byte alphabet (bytes_to_unicode: the
//     188 printable bytes stand for themselves, the other 68 for U+0100..U+0143). A byte the
//     vocabulary has no token for is dropped, as HF tokenizers does (SmolLM2 lacks 21 bytes,
//     those UTF-8 never uses and six rare controls), so such text does not round-trip.
//  4. BPE: the lowest-ranked adjacent pair is merged first, the leftmost on ties, until no
//     pair of the piece has a merge (a heap of candidate pairs, each checked still current
//     when it comes out).
// Decoding maps the alphabet back to bytes; control tokens decode to their own text.
//
// Checked against the PyPI `tokenizers` library (the BPE model transformers builds from the
// same GGUF's vocabulary and merges, with SmolLM2's Digits + ByteLevel pre-tokenizer) on the
// GPL-3 text, Python docstrings and hand-written strings with accents, CJK, emoji, digits,
// contractions, runs of blanks and bytes without a token, 7,096 words in 11,075 tokens, all
// equal: tests/decoder/check_tokenizer.py (ctest tokenizer_oracle).
//
// The file is untrusted: a model other than "gpt2", an unknown pre-tokenizer, ids out of
// range and merges naming tokens not in the vocabulary are each an actsparse::error that says
// what was found and what is supported.
#pragma once

#include <actsparse/gguf.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace actsparse::decoder {

class tokenizer {
 public:
  // Reads tokenizer.ggml.{model, pre, tokens, merges, token_type, bos_token_id,
  // eos_token_id, add_bos_token} from the file.
  explicit tokenizer(const gguf_file& file);

  // The ids of `text` (any bytes; invalid UTF-8 is encoded byte by byte). No BOS is added:
  // a caller that wants one prepends bos() when add_bos() says so.
  std::vector<std::int32_t> encode(std::string_view text, bool parse_special = true) const;

  // The bytes the ids stand for, concatenated. Throws on an id out of range.
  std::string decode(const std::vector<std::int32_t>& ids) const;

  // The raw bytes of one token: a piece of a UTF-8 sequence when a character spans tokens
  // (utf8_stream below holds such pieces back). Throws on an id out of range.
  const std::string& token_bytes(std::int32_t id) const;
  // The token as the file spells it (byte alphabet), e.g. "Ġthe".
  const std::string& token_text(std::int32_t id) const;

  std::size_t vocab_size() const { return text_.size(); }
  std::int32_t bos() const { return bos_; }  // -1 when the file names none
  std::int32_t eos() const { return eos_; }
  bool add_bos() const { return add_bos_; }  // tokenizer.ggml.add_bos_token, false if absent
  bool is_control(std::int32_t id) const;
  const std::string& pre_tokenizer() const { return pre_; }

 private:
  struct merge {
    std::int32_t rank;
    std::int32_t result;
  };
  static std::uint64_t pair_key(std::int32_t left, std::int32_t right) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(left)) << 32) | static_cast<std::uint32_t>(right);
  }
  void check_id(const char* where, std::int32_t id) const;
  void encode_piece(std::string_view piece, std::vector<std::int32_t>& out) const;
  void encode_text(std::string_view text, std::vector<std::int32_t>& out) const;

  std::vector<std::string> text_;   // as spelled in the file
  std::vector<std::string> bytes_;  // what each token decodes to
  std::vector<std::uint8_t> type_;  // tokenizer.ggml.token_type (1 = normal when absent)
  std::unordered_map<std::string, std::int32_t> id_of_;  // spelled text -> id (the last wins)
  std::unordered_map<std::uint64_t, merge> merges_;      // pair_key(left, right) -> rank, result
  std::int32_t byte_id_[256] = {};                       // the token of each byte, -1 if none
  std::vector<std::int32_t> specials_;                   // matched whole, longest first
  std::string pre_;
  bool split_digits_ = false;
  std::int32_t bos_ = -1, eos_ = -1;
  bool add_bos_ = false;
};

// Streaming output: push() each generated token, print what it returns. Bytes of a UTF-8
// character split across tokens are held back until the character is complete; flush()
// gives whatever remains (an incomplete sequence at the end of generation).
class utf8_stream {
 public:
  explicit utf8_stream(const tokenizer& t) : tok_(&t) {}
  std::string push(std::int32_t id);
  std::string flush();

 private:
  const tokenizer* tok_;
  std::string pending_;
};

// Unicode classes of the pre-tokenizer, exposed for the oracle test.
enum class char_class : std::uint8_t { other, letter, number, space };
char_class classify(std::uint32_t cp);

}  // namespace actsparse::decoder
