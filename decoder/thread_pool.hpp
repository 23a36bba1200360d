// decoder/thread_pool.hpp: the decoder's own threads, as a runtime keeps them: started once,
// each product split into ranges of outputs (gemv_options row_begin/row_end) that the
// threads compute with one-thread kernel calls. The results are bitwise those of one call
// (each output is the same sum in the same order), for every thread count.
//
// Why not the kernels' OpenMP threads: SmolLM2's products are small (576 x 1536 is 0.4 MB
// at 4 bits), and a decode token makes 211 of them. Workers that spin between products
// start the next one within a few hundred nanoseconds; they fall asleep after about a
// millisecond without work, so an idle model does not hold a core.
#pragma once

#include <atomic>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace actsparse::decoder {

class thread_pool {
 public:
  // threads >= 1: the calling thread and threads - 1 workers.
  explicit thread_pool(int threads) {
    for (int t = 1; t < threads; ++t) workers_.emplace_back([this, t] { work(t); });
  }
  ~thread_pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_.store(true, std::memory_order_release);
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
  }
  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Runs f(t) for t = 0 .. size() - 1, t = 0 on the calling thread, and returns when every
  // call has; the first exception any of them threw is rethrown here.
  void run(const std::function<void(int)>& f) {
    if (workers_.empty()) return f(0);
    job_ = &f;
    error_ = nullptr;
    pending_.store(static_cast<int>(workers_.size()), std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(mutex_);  // a worker going to sleep sees the new generation
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    call(0);
    while (pending_.load(std::memory_order_acquire) != 0) relax();
    if (error_) std::rethrow_exception(error_);
  }

 private:
  static void relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
  }

  void call(int t) {
    try {
      (*job_)(t);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
  }

  void work(int t) {
    unsigned seen = 0;
    for (;;) {
      // Spin about a millisecond for the next product, then sleep until one comes.
      for (int spin = 0; generation_.load(std::memory_order_acquire) == seen; ++spin) {
        if (stop_.load(std::memory_order_acquire)) return;
        if (spin < (1 << 15)) {
          relax();
          continue;
        }
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] {
          return generation_.load(std::memory_order_acquire) != seen || stop_.load(std::memory_order_acquire);
        });
      }
      if (stop_.load(std::memory_order_acquire)) return;
      seen = generation_.load(std::memory_order_acquire);
      call(t);
      pending_.fetch_sub(1, std::memory_order_release);
    }
  }

  std::vector<std::thread> workers_;
  std::atomic<unsigned> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  const std::function<void(int)>* job_ = nullptr;
  std::exception_ptr error_;
  std::mutex mutex_;
  std::condition_variable wake_;
};

}  // namespace actsparse::decoder
