// Progress of a long export, import or download: a one-line bar on a terminal, redrawn at
// most ten times a second; nothing at all when stdout is not a terminal (logs and pipes
// stay clean).
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace pot::image {

class ProgressBar {
 public:
  // `total` 0 means unknown (bytes and rate are shown without a bar).
  ProgressBar(std::string label, uint64_t total);
  ~ProgressBar();  // ends the line if anything was drawn
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void set_total(uint64_t total) { total_ = total; }
  void update(uint64_t done);
  bool enabled() const { return enabled_; }

 private:
  void draw(uint64_t done);

  std::string label_;
  uint64_t total_;
  uint64_t done_ = 0;  // the last update, drawn once more at the end
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// `61.2 MB`, `1.4 GB`: the units the bar and the messages use.
std::string human_bytes(uint64_t bytes);

}  // namespace pot::image
