// actsparse/actsparse.hpp: the umbrella header.
//
// actsparse computes y = W x for LLM decoding from 2-8 bit group-quantized weights stored
// K-major (one contiguous strip per input channel), reading only the strips of the inputs
// whose activations are non-zero (or above a threshold). Header-only: include this, compile
// with the ISA flags you want (e.g. -mavx2 -mfma, -mavx512f -mavx512bw, or nothing on
// aarch64 for NEON) and -fopenmp for threads. Needs xsimd; nothing else.
#pragma once

#include "calibrate.hpp"
#include "detect.hpp"
#include "error.hpp"
#include "format.hpp"
#include "gemm.hpp"
#include "gemv.hpp"
#include "half.hpp"
#include "memory.hpp"
#include "mlx.hpp"
#include "pack.hpp"
#include "quantize.hpp"
#include "threading.hpp"
#include "version.hpp"
