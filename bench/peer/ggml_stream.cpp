// bench/peer/ggml_stream.cpp: ggml-stream, a GEMV harness for ggml's CPU backend (the
// compute library of llama.cpp), so that actsparse's kernels can be compared with ggml's on
// the same machine. It is built on its own against an installed ggml (bench/peer/README.md)
// and is not part of the actsparse build.
//
// For each shape N x K (N outputs, K inputs) and each ggml weight type it times
// y = W x with ggml_mul_mat, one matrix per call, as one decode step does:
//   - "stream": the calls rotate through a pool of copies of W larger than the last-level
//     cache, so the weights come from DRAM;
//   - "hot": every call reuses one matrix, so the weights come from the caches.
// x is fp32. ggml converts it to the weight type's dot-product type (q8_0 or q8_K) inside
// mul_mat, and that conversion is timed, as it is in real decode.
//
// Layouts: "plain" keeps W in ggml's normal row-major block layout in a CPU buffer, so
// mul_mat runs the per-row vec_dot kernels. "repack" puts W in the first of the CPU
// backend's extra buffer types that supports the product (CPU_REPACK on x86 builds:
// interleaved q4_0/q4_K/q2_K/iq4_nl/mxfp4 blocks with their own GEMV kernels), which is
// what llama.cpp does for model weights by default. Types with no repacked form fall back
// to plain; the "buft" column says which buffer was used.
//
// Output: one CSV line per (shape, type, threads, mode, layout) on stdout; notes on stderr.
// Uses only ggml's public C API (ggml.h, ggml-cpu.h, ggml-backend.h, ggml-alloc.h).
#include <ggml-alloc.h>
#include <ggml-backend.h>
#include <ggml-cpu.h>
#include <ggml.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <strings.h>
#include <sys/mman.h>
#include <thread>
#include <vector>

#ifndef ACTSPARSE_PEER_COMMIT
#define ACTSPARSE_PEER_COMMIT ""
#endif

namespace {

using clock_type = std::chrono::steady_clock;

struct shape {
  int64_t n;  // outputs (rows of W)
  int64_t k;  // inputs (row length)
};

struct options {
  std::vector<shape> shapes{{4096, 14336}, {14336, 4096}};
  std::vector<std::string> types{"q4_0", "q4_K", "q8_0", "q2_K", "q3_K"};
  std::vector<int> threads{1, 2};
  std::vector<std::string> modes{"stream"};
  std::vector<std::string> layouts{"plain"};
  std::size_t pool_mib = 2048;
  int reps = 15;
  unsigned seed = 42;
  std::string commit = ACTSPARSE_PEER_COMMIT;
  bool hugepages = false;
};

[[noreturn]] void usage(const char* msg) {
  if (msg) std::fprintf(stderr, "ggml-stream: %s\n", msg);
  std::fprintf(stderr,
               "usage: ggml-stream [--shapes NxK,...] [--types t,...] [--threads n,...]\n"
               "                   [--mode stream|hot|stream,hot] [--layout plain|repack|plain,repack]\n"
               "                   [--pool-mib MiB] [--reps n] [--seed n] [--commit hash] [--hugepages 0|1]\n"
               "defaults: --shapes 4096x14336,14336x4096 --types q4_0,q4_K,q8_0,q2_K,q3_K\n"
               "          --threads 1,2 --mode stream --layout plain --pool-mib 2048 --reps 15\n");
  std::exit(msg ? 2 : 0);
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t comma = s.find(',', start);
    const std::size_t end = comma == std::string::npos ? s.size() : comma;
    if (end > start) out.push_back(s.substr(start, end - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

long long to_int(const std::string& s, const char* what) {
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || v <= 0) usage((std::string("bad ") + what + ": " + s).c_str());
  return v;
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") usage(nullptr);
    if (i + 1 >= argc) usage(("missing value for " + a).c_str());
    const std::string v = argv[++i];
    if (a == "--shapes") {
      o.shapes.clear();
      for (const auto& s : split(v)) {
        const std::size_t x = s.find('x');
        if (x == std::string::npos) usage(("bad shape: " + s).c_str());
        o.shapes.push_back({to_int(s.substr(0, x), "shape"), to_int(s.substr(x + 1), "shape")});
      }
    } else if (a == "--types") {
      o.types = split(v);
    } else if (a == "--threads") {
      o.threads.clear();
      for (const auto& s : split(v)) o.threads.push_back(static_cast<int>(to_int(s, "thread count")));
    } else if (a == "--mode") {
      o.modes = split(v);
      for (const auto& m : o.modes)
        if (m != "stream" && m != "hot") usage(("bad mode: " + m).c_str());
    } else if (a == "--layout") {
      o.layouts = split(v);
      for (const auto& l : o.layouts)
        if (l != "plain" && l != "repack") usage(("bad layout: " + l).c_str());
    } else if (a == "--pool-mib") {
      o.pool_mib = static_cast<std::size_t>(to_int(v, "pool size"));
    } else if (a == "--reps") {
      o.reps = static_cast<int>(to_int(v, "reps"));
    } else if (a == "--seed") {
      o.seed = static_cast<unsigned>(to_int(v, "seed"));
    } else if (a == "--commit") {
      o.commit = v;
    } else if (a == "--hugepages") {
      if (v != "0" && v != "1") usage("--hugepages takes 0 or 1");
      o.hugepages = v == "1";
    } else {
      usage(("unknown option " + a).c_str());
    }
  }
  if (o.shapes.empty() || o.types.empty() || o.threads.empty() || o.modes.empty() || o.layouts.empty())
    usage("empty list");
  return o;
}

ggml_type type_by_name(const std::string& name) {
  for (int t = 0; t < GGML_TYPE_COUNT; ++t) {
    const ggml_type_traits* tr = ggml_get_type_traits(static_cast<ggml_type>(t));
    if (tr && tr->type_name && tr->blck_size > 0 && strcasecmp(tr->type_name, name.c_str()) == 0)
      return static_cast<ggml_type>(t);
  }
  usage(("unknown ggml type: " + name).c_str());
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t h = v.size() / 2;
  return v.size() % 2 ? v[h] : 0.5 * (v[h - 1] + v[h]);
}

// Quantizes n rows of k floats into ggml's block format, rows split across two threads.
std::vector<uint8_t> quantize(ggml_type type, const std::vector<float>& w, int64_t n, int64_t k) {
  std::vector<uint8_t> q(ggml_row_size(type, k) * static_cast<std::size_t>(n));
  const int64_t half = n / 2;
  auto part = [&](int64_t r0, int64_t r1) {  // ggml offsets src and dst by `start` itself
    if (r1 > r0) ggml_quantize_chunk(type, w.data(), q.data(), r0 * k, r1 - r0, k, nullptr);
  };
  std::thread t(part, int64_t{0}, half);
  part(half, n);
  t.join();
  return q;
}

// Double-precision y = deq(W) x, from the plain quantized blocks.
std::vector<double> reference(ggml_type type, const std::vector<uint8_t>& q, const std::vector<float>& x,
                              int64_t n, int64_t k) {
  const ggml_type_traits* tr = ggml_get_type_traits(type);
  const std::size_t row_bytes = ggml_row_size(type, k);
  std::vector<double> y(n);
  std::vector<float> row(k);
  for (int64_t i = 0; i < n; ++i) {
    tr->to_float(q.data() + row_bytes * i, row.data(), k);
    double s = 0;
    for (int64_t j = 0; j < k; ++j) s += static_cast<double>(row[j]) * x[j];
    y[i] = s;
  }
  return y;
}

// max_i |y_i - ref_i| / max_i |ref_i|: the error relative to the output's scale.
double rel_error(const std::vector<float>& y, const std::vector<double>& ref) {
  double err = 0, scale = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    err = std::max(err, std::fabs(y[i] - ref[i]));
    scale = std::max(scale, std::fabs(ref[i]));
  }
  return scale > 0 ? err / scale : err;
}

// The buffer type llama.cpp's loader would pick for W in a mul_mat on this device: the
// first extra buffer type whose supports_op accepts the product, else the CPU buffer.
ggml_backend_buffer_type_t pick_buft(ggml_backend_dev_t dev, ggml_type type, int64_t n, int64_t k,
                                     const std::string& layout) {
  ggml_backend_buffer_type_t cpu = ggml_backend_cpu_buffer_type();
  if (layout == "plain") return cpu;
  auto get_extra = reinterpret_cast<ggml_backend_dev_get_extra_bufts_t>(
      ggml_backend_reg_get_proc_address(ggml_backend_dev_backend_reg(dev), "ggml_backend_dev_get_extra_bufts"));
  if (!get_extra) return cpu;
  ggml_init_params ip{4 * ggml_tensor_overhead(), nullptr, /*no_alloc=*/true};
  ggml_context* ctx = ggml_init(ip);
  ggml_tensor* w = ggml_new_tensor_2d(ctx, type, k, n);
  ggml_tensor* x = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, k, 1);
  ggml_tensor* op = ggml_mul_mat(ctx, w, x);
  ggml_backend_buffer_type_t chosen = cpu;
  for (ggml_backend_buffer_type_t* b = get_extra(dev); b && *b; ++b) {
    ggml_backend_buffer_t probe = ggml_backend_buft_alloc_buffer(*b, 0);
    w->buffer = probe;
    const bool ok = ggml_backend_dev_supports_op(dev, op);
    w->buffer = nullptr;
    ggml_backend_buffer_free(probe);
    if (ok) {
      chosen = *b;
      break;
    }
  }
  ggml_free(ctx);
  return chosen;
}

// One pool of weight matrices in one buffer, with one prebuilt graph y_i = W_i x per matrix.
struct pool {
  ggml_context* wctx = nullptr;
  ggml_context* cctx = nullptr;
  ggml_backend_buffer_t wbuf = nullptr;
  ggml_backend_buffer_t cbuf = nullptr;
  ggml_tensor* x = nullptr;
  std::vector<ggml_tensor*> w, y;
  std::vector<ggml_cgraph*> graphs;

  pool(ggml_backend_buffer_type_t buft, ggml_type type, int64_t n, int64_t k, std::size_t count,
       const std::vector<uint8_t>& q, const std::vector<float>& xv, bool hugepages) {
    ggml_init_params wp{count * ggml_tensor_overhead() + 1024, nullptr, true};
    wctx = ggml_init(wp);
    for (std::size_t i = 0; i < count; ++i) w.push_back(ggml_new_tensor_2d(wctx, type, k, n));
    wbuf = ggml_backend_alloc_ctx_tensors_from_buft(wctx, buft);
    if (!wbuf) {
      std::fprintf(stderr, "ggml-stream: could not allocate the weight pool\n");
      std::exit(1);
    }
    ggml_backend_buffer_set_usage(wbuf, GGML_BACKEND_BUFFER_USAGE_WEIGHTS);
    // --hugepages 1 asks for transparent huge pages here as actsparse does for its packed
    // buffers (format.hpp). Off by default: measured, ggml's repacked kernels ran slower
    // with it (4096x14336 q4_K repacked, 1 thread: 1.62 ms against 1.51 without).
    if (hugepages) {
      const auto base = reinterpret_cast<std::uintptr_t>(ggml_backend_buffer_get_base(wbuf));
      const std::uintptr_t huge = std::uintptr_t{2} << 20, first = (base + huge - 1) / huge * huge;
      const std::uintptr_t end = base + ggml_backend_buffer_get_size(wbuf);
      if (end > first) madvise(reinterpret_cast<void*>(first), end - first, MADV_HUGEPAGE);
    }
    for (ggml_tensor* t : w) ggml_backend_tensor_set(t, q.data(), 0, q.size());  // repacks if buft does

    const std::size_t graph_size = 8;
    ggml_init_params cp{(2 * count + 2) * ggml_tensor_overhead() + count * ggml_graph_overhead_custom(graph_size, false) + 4096,
                        nullptr, true};
    cctx = ggml_init(cp);
    x = ggml_new_tensor_2d(cctx, GGML_TYPE_F32, k, 1);
    for (std::size_t i = 0; i < count; ++i) {
      y.push_back(ggml_mul_mat(cctx, w[i], x));
      ggml_cgraph* g = ggml_new_graph_custom(cctx, graph_size, false);
      ggml_build_forward_expand(g, y.back());
      graphs.push_back(g);
    }
    cbuf = ggml_backend_alloc_ctx_tensors_from_buft(cctx, ggml_backend_cpu_buffer_type());
    ggml_backend_tensor_set(x, xv.data(), 0, xv.size() * sizeof(float));
  }
  ~pool() {
    ggml_backend_buffer_free(cbuf);
    ggml_backend_buffer_free(wbuf);
    ggml_free(cctx);
    ggml_free(wctx);
  }
  pool(const pool&) = delete;
  pool& operator=(const pool&) = delete;
};

// ggml logs one "repack: repack tensor <name> with <layout>" line per repacked tensor. Keep
// the last layout name for the buft column and pass every other message through.
std::string g_repack_layout;

void log_filter(ggml_log_level level, const char* text, void*) {
  static const char prefix[] = "repack: repack tensor";
  if (std::strncmp(text, prefix, sizeof prefix - 1) == 0) {
    const char* with = std::strstr(text, " with ");
    if (with) {
      g_repack_layout = with + 6;
      while (!g_repack_layout.empty() && std::isspace(static_cast<unsigned char>(g_repack_layout.back())))
        g_repack_layout.pop_back();
    }
    return;
  }
  if (level != GGML_LOG_LEVEL_DEBUG) std::fputs(text, stderr);
}

void compute(ggml_backend_t backend, ggml_cgraph* g) {
  if (ggml_backend_graph_compute(backend, g) != GGML_STATUS_SUCCESS) {
    std::fprintf(stderr, "ggml-stream: graph compute failed\n");
    std::exit(1);
  }
}

// Median ms per call. Stream: one untimed pass over the whole pool first, then the timed
// calls continue the rotation, so each matrix was last read a pool's worth of bytes ago.
double time_ms(ggml_backend_t backend, const pool& p, bool stream, int reps) {
  const std::size_t count = stream ? p.graphs.size() : 1;
  std::size_t next = 0;
  for (std::size_t i = 0; i < std::max<std::size_t>(count, 3); ++i) compute(backend, p.graphs[next++ % count]);
  std::vector<double> t;
  t.reserve(reps);
  for (int r = 0; r < reps; ++r) {
    ggml_cgraph* g = p.graphs[next++ % count];
    const auto t0 = clock_type::now();
    compute(backend, g);
    t.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
  }
  return median(t);
}

}  // namespace

int main(int argc, char** argv) {
  const options opt = parse(argc, argv);
  ggml_log_set(log_filter, nullptr);

  ggml_backend_t backend = ggml_backend_cpu_init();
  if (!backend) {
    std::fprintf(stderr, "ggml-stream: no CPU backend\n");
    return 1;
  }
  ggml_backend_dev_t dev = ggml_backend_get_device(backend);

  std::fprintf(stderr, "# ggml %s (commit %s), llama.cpp commit %s\n", ggml_version(), ggml_commit(),
               opt.commit.empty() ? "(not given)" : opt.commit.c_str());
  std::fprintf(stderr, "# cpu: avx2=%d avx512=%d avx512_vnni=%d avx512_bf16=%d amx_int8=%d; pool %zu MiB, reps %d\n",
               ggml_cpu_has_avx2(), ggml_cpu_has_avx512(), ggml_cpu_has_avx512_vnni(), ggml_cpu_has_avx512_bf16(),
               ggml_cpu_has_amx_int8(), opt.pool_mib, opt.reps);
  std::printf("shape,type,threads,mode,bpw,median_ms,GBps,max_rel_err,layout,buft\n");
  std::fflush(stdout);

  const bool any_stream = std::find(opt.modes.begin(), opt.modes.end(), "stream") != opt.modes.end();
  std::mt19937_64 rng(opt.seed);
  std::normal_distribution<float> w_dist(0.0f, 0.02f), x_dist(0.0f, 1.0f);

  for (const shape& s : opt.shapes) {
    std::vector<float> wf(static_cast<std::size_t>(s.n * s.k)), x(s.k);
    for (float& v : wf) v = w_dist(rng);
    for (float& v : x) v = x_dist(rng);
    const std::string shape_name = std::to_string(s.n) + "x" + std::to_string(s.k);

    for (const std::string& tname : opt.types) {
      const ggml_type type = type_by_name(tname);
      const ggml_type_traits* tr = ggml_get_type_traits(type);
      if (s.k % tr->blck_size != 0) {
        std::fprintf(stderr, "# skip %s %s: K is not a multiple of the block size %lld\n", shape_name.c_str(),
                     tr->type_name, static_cast<long long>(tr->blck_size));
        continue;
      }
      if (ggml_quantize_requires_imatrix(type)) {
        std::fprintf(stderr, "# skip %s: needs an importance matrix\n", tr->type_name);
        continue;
      }
      const auto tq = clock_type::now();
      const std::vector<uint8_t> q = quantize(type, wf, s.n, s.k);
      const double quant_s = std::chrono::duration<double>(clock_type::now() - tq).count();
      const std::vector<double> ref = reference(type, q, x, s.n, s.k);
      const std::size_t nbytes = q.size();
      const double bpw = 8.0 * static_cast<double>(nbytes) / static_cast<double>(s.n * s.k);
      const std::size_t pool_bytes = opt.pool_mib << 20;
      const std::size_t count = any_stream ? pool_bytes / nbytes + 1 : 1;

      for (const std::string& layout : opt.layouts) {
        ggml_backend_buffer_type_t buft = pick_buft(dev, type, s.n, s.k, layout);
        g_repack_layout.clear();
        const auto t0 = clock_type::now();
        pool p(buft, type, s.n, s.k, count, q, x, opt.hugepages);
        const double setup_s = std::chrono::duration<double>(clock_type::now() - t0).count();
        std::string buft_label = ggml_backend_buft_name(buft);
        if (!g_repack_layout.empty()) buft_label += ":" + g_repack_layout;
        if (ggml_nbytes(p.w[0]) != nbytes) {
          std::fprintf(stderr, "ggml-stream: tensor size %zu != quantized size %zu\n", ggml_nbytes(p.w[0]), nbytes);
          return 1;
        }
        std::fprintf(stderr, "# %s %s layout=%s buft=%s: %zu matrices x %.1f MiB = %.0f MiB (quantized in %.1f s, pool set up in %.1f s)\n",
                     shape_name.c_str(), tr->type_name, layout.c_str(), buft_label.c_str(), count,
                     nbytes / 1048576.0, count * (nbytes / 1048576.0), quant_s, setup_s);

        for (int nt : opt.threads) {
          ggml_backend_cpu_set_n_threads(backend, nt);
          // Correctness: matrix 0 against the double-precision product of its dequantized blocks.
          compute(backend, p.graphs[0]);
          std::vector<float> y(s.n);
          ggml_backend_tensor_get(p.y[0], y.data(), 0, y.size() * sizeof(float));
          const double err = rel_error(y, ref);

          for (const std::string& mode : opt.modes) {
            const double ms = time_ms(backend, p, mode == "stream", opt.reps);
            const double gbps = static_cast<double>(nbytes) / (ms * 1e-3) / 1e9;
            std::printf("%s,%s,%d,%s,%.3f,%.4f,%.2f,%.2e,%s,%s\n", shape_name.c_str(), tr->type_name, nt,
                        mode.c_str(), bpw, ms, gbps, err, layout.c_str(), buft_label.c_str());
            std::fflush(stdout);
          }
        }
      }
    }
  }
  ggml_backend_free(backend);
  ggml_quantize_free();
  return 0;
}
