// tests/decoder/test_tokenizer.cpp: the tokenizer (decoder/tokenizer.hpp) on small GGUF files
// written here: a vocabulary of the 256 byte symbols, a few merges and two control tokens.
// It checks the merge order, the pre-tokenizer's cuts (a merge never crosses them), special
// tokens, byte round trips, streaming and each refusal of a bad file. The real vocabulary is
// checked against the PyPI tokenizers library by check_tokenizer.py (ctest tokenizer_oracle).
#include "tokenizer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gguf_writer.hpp"

namespace {

using actsparse::decoder::tokenizer;
using namespace actsparse_test;

// GPT-2's byte alphabet, written out independently of tokenizer.cpp.
std::string byte_symbol(int b) {
  static std::vector<std::string> table = [] {
    std::vector<std::string> t(256);
    int next = 256;
    for (int c = 0; c < 256; ++c) {
      const bool printable = (c >= '!' && c <= '~') || (c >= 0xa1 && c <= 0xac) || (c >= 0xae);
      const int cp = printable ? c : next++;
      std::string s;
      if (cp < 0x80) s += static_cast<char>(cp);
      else s += static_cast<char>(0xc0 | (cp >> 6)), s += static_cast<char>(0x80 | (cp & 0x3f));
      t[c] = s;
    }
    return t;
  }();
  return table[b];
}

gguf_kv kv_ints(const std::string& key, const std::vector<std::int32_t>& v) {
  return {key, [v](gguf_bytes& w) {
            w.put<std::uint32_t>(kArray);
            w.put<std::uint32_t>(kI32);
            w.put<std::uint64_t>(v.size());
            for (auto x : v) w.put<std::int32_t>(x);
          }};
}

// The test vocabulary: ids 0 and 1 are the control tokens, 2..257 the bytes, then the merges'
// results in rank order.
struct vocab {
  std::string model = "gpt2", pre = "gpt2";
  std::vector<std::string> tokens{"<|im_start|>", "<|im_end|>"};
  std::vector<std::int32_t> types{3, 3};
  std::vector<std::string> merges;
  std::int32_t bos = 0, eos = 1;
  vocab() {
    for (int b = 0; b < 256; ++b) tokens.push_back(byte_symbol(b)), types.push_back(1);
    for (const char* m : {"h e", "Ġ t", "Ġt he", "a a", "1 2", "' s", "a Ġ"}) add_merge(m);
  }
  void add_merge(const std::string& m) {
    merges.push_back(m);
    const std::size_t sp = m.find(' ');
    tokens.push_back(m.substr(0, sp) + m.substr(sp + 1));
    types.push_back(1);
  }
  gguf_built build() const {
    return build_gguf({kv_string("tokenizer.ggml.model", model), kv_string("tokenizer.ggml.pre", pre),
                       kv_strings("tokenizer.ggml.tokens", tokens), kv_ints("tokenizer.ggml.token_type", types),
                       kv_strings("tokenizer.ggml.merges", merges), kv<std::uint32_t>("tokenizer.ggml.bos_token_id", kU32, bos),
                       kv<std::uint32_t>("tokenizer.ggml.eos_token_id", kU32, eos)},
                      {});
  }
  std::int32_t id(const std::string& t) const {
    for (std::size_t i = tokens.size(); i-- > 0;)
      if (tokens[i] == t) return static_cast<std::int32_t>(i);
    return -1;
  }
};

tokenizer make(const vocab& v) {
  const gguf_built g = v.build();
  return tokenizer(actsparse::gguf_file::from_memory(g.data(), g.size(), "test.gguf"));
}

// The error message of building a tokenizer from v ("" if it builds).
std::string refusal(const vocab& v) {
  try {
    make(v);
  } catch (const actsparse::error& e) {
    return e.what();
  }
  return "";
}

TEST(Tokenizer, MergesLowestRankFirstAndLeftmostOnTies) {
  const vocab v;
  const tokenizer t = make(v);
  // " the": Ġ t h e -> (h e) rank 0 -> (Ġ t) rank 1 -> (Ġt he) rank 2.
  EXPECT_EQ(t.encode("the the"), (std::vector<std::int32_t>{v.id("t"), v.id("he"), v.id("Ġthe")}));
  // "aaa": the two (a a) pairs tie; the left one merges, leaving a lone a.
  EXPECT_EQ(t.encode("aaa"), (std::vector<std::int32_t>{v.id("aa"), v.id("a")}));
  EXPECT_EQ(t.vocab_size(), v.tokens.size());
  EXPECT_EQ(t.bos(), 0);
  EXPECT_EQ(t.eos(), 1);
  EXPECT_FALSE(t.add_bos());
}

TEST(Tokenizer, NoMergeCrossesAPreTokenizerCut) {
  vocab v;
  const tokenizer gpt2 = make(v);
  // "a b" is cut into "a" and " b": the merge (a Ġ) never sees its pair.
  EXPECT_EQ(gpt2.encode("a b"), (std::vector<std::int32_t>{v.id("a"), v.id("Ġ"), v.id("b")}));
  // "it's" is "it" and "'s"; "12" stays one piece under gpt2 ...
  EXPECT_EQ(gpt2.encode("it's"), (std::vector<std::int32_t>{v.id("i"), v.id("t"), v.id("'s")}));
  EXPECT_EQ(gpt2.encode("12"), (std::vector<std::int32_t>{v.id("12")}));
  // ... and is cut digit by digit under smollm.
  v.pre = "smollm";
  const tokenizer smollm = make(v);
  EXPECT_EQ(smollm.encode("12"), (std::vector<std::int32_t>{v.id("1"), v.id("2")}));
  EXPECT_EQ(smollm.pre_tokenizer(), "smollm");
  // "a  b": \s+(?!\S) leaves the last blank to " b", so "a" and " " are apart too.
  EXPECT_EQ(gpt2.encode("a  b"), (std::vector<std::int32_t>{v.id("a"), v.id("Ġ"), v.id("Ġ"), v.id("b")}));
}

TEST(Tokenizer, SpecialTokensMatchWholeOnlyWhenAsked) {
  const vocab v;
  const tokenizer t = make(v);
  const std::string text = "<|im_start|>the<|im_end|>";
  const std::vector<std::int32_t> ids = t.encode(text);
  EXPECT_EQ(ids, (std::vector<std::int32_t>{0, v.id("t"), v.id("he"), 1}));
  EXPECT_EQ(t.decode(ids), text);
  EXPECT_TRUE(t.is_control(0));
  const std::vector<std::int32_t> plain = t.encode(text, false);
  EXPECT_EQ(plain.size(), text.size() - 1);  // only (h e) merges
  EXPECT_EQ(t.decode(plain), text);
  EXPECT_EQ(t.token_text(v.id("Ġthe")), "Ġthe");
  EXPECT_EQ(t.token_bytes(v.id("Ġthe")), " the");
}

TEST(Tokenizer, EveryByteRoundTrips) {
  const tokenizer t = make(vocab{});
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  for (const std::string& s : {all, std::string("\xff\xfe invalid \xc3 utf-8 \xe2\x82"), std::string("Café 日本 😀\n\n  x"),
                               std::string(), std::string(300, ' ')})
    EXPECT_EQ(t.decode(t.encode(s)), s);
}

TEST(Tokenizer, StreamHoldsBackSplitCharacters) {
  const tokenizer t = make(vocab{});
  const std::vector<std::int32_t> ids = t.encode("é😀!");  // one token per byte here
  ASSERT_EQ(ids.size(), 7u);
  actsparse::decoder::utf8_stream s(t);
  std::vector<std::string> out;
  for (const auto id : ids) out.push_back(s.push(id));
  EXPECT_EQ(out, (std::vector<std::string>{"", "é", "", "", "", "😀", "!"}));
  EXPECT_EQ(s.push(ids[0]), "");
  EXPECT_EQ(s.flush(), "\xc3");
}

// The message of each refusal holds every piece of `expect`.
void expect_refusal(const vocab& v, const std::vector<std::string>& expect) {
  const std::string what = refusal(v);
  ASSERT_FALSE(what.empty()) << "the file was accepted";
  for (const auto& e : expect) EXPECT_NE(what.find(e), std::string::npos) << what << "\n  lacks: " << e;
}

TEST(Tokenizer, BadFilesAreRefusedByName) {
  EXPECT_EQ(refusal(vocab{}), "");
  vocab v;
  v.model = "llama";
  expect_refusal(v, {"tokenizer.ggml.model is \"llama\"", "supported: \"gpt2\""});
  v = vocab{};
  v.pre = "qwen2";
  expect_refusal(v, {"\"qwen2\"", "\"gpt2\", \"smollm\""});
  v = vocab{};
  v.merges.push_back("Ġt zz");
  expect_refusal(v, {"merges[7] = \"Ġt zz\"", "not in the vocabulary: \"zz\""});
  v = vocab{};
  v.merges.push_back("h e l");
  expect_refusal(v, {"merges[7]", "one space"});
  v = vocab{};
  v.bos = 100000;
  expect_refusal(v, {"tokenizer.ggml.bos_token_id = 100000 is out of range", std::to_string(v.tokens.size())});
  v = vocab{};
  v.types.pop_back();
  expect_refusal(v, {"token_type has", "entries for"});
}

TEST(Tokenizer, BytesWithoutATokenDropOutBeforeTheMerges) {
  vocab v;
  v.tokens[2 + 0x04] = "not the symbol of byte 4";
  v.add_merge("! !");
  const tokenizer t = make(v);
  EXPECT_EQ(t.encode("\x04"), std::vector<std::int32_t>{});
  EXPECT_EQ(t.encode("the\x04the"), (std::vector<std::int32_t>{v.id("t"), v.id("he"), v.id("t"), v.id("he")}));
  // "!\x04!" is one piece (a control byte is neither blank, letter nor number): with the byte
  // gone the two "!" meet and merge, as in HF tokenizers.
  EXPECT_EQ(t.encode("!\x04!"), std::vector<std::int32_t>{v.id("!!")});
  EXPECT_EQ(t.decode(t.encode("x\x04y")), "xy");
}

TEST(Tokenizer, IdsOutOfRangeAreRefused) {
  const vocab v;
  const tokenizer t = make(v);
  const auto n = static_cast<std::int32_t>(v.tokens.size());
  for (const std::int32_t id : {-1, n, n + 1000}) {
    EXPECT_THROW(t.decode({2, id}), actsparse::error);
    EXPECT_THROW(t.token_bytes(id), actsparse::error);
    EXPECT_THROW(t.token_text(id), actsparse::error);
    actsparse::decoder::utf8_stream s(t);
    EXPECT_THROW(s.push(id), actsparse::error);
  }
  try {
    t.decode({n});
  } catch (const actsparse::error& e) {
    EXPECT_NE(std::string(e.what()).find("token id " + std::to_string(n) + " is out of range"), std::string::npos);
  }
}

}  // namespace
