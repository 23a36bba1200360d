// roofline/model_cmd.hpp: the `actsparse gguf` and `actsparse convert` subcommands
// (model_cmd.cpp).
#pragma once

#include <string>
#include <vector>

namespace roofline {

struct gguf_cli {
  std::string model;                 // the GGUF file
  std::string dequantize;            // fp32 output file ("-": stdout); empty: print the file's contents
  std::vector<std::string> tensors;  // tensors to dequantize (all when empty), in this order
};
int run_gguf(const gguf_cli& c);

struct convert_cli {
  std::string model, out;
  std::string bits = "4";  // a quant_table: "4" or "default=4,down=6"
  int group = 64;
  std::string quantizer = "mlx";  // actsparse::quant_rule: mlx or mse
  bool quiet = false;
};
int run_convert(const convert_cli& c);

}  // namespace roofline
