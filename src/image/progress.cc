#include "image/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace pot::image {
namespace {

constexpr auto kRedrawInterval = std::chrono::milliseconds(100);
constexpr int kBarWidth = 20;

}  // namespace

std::string human_bytes(uint64_t bytes) {
  if (bytes < 1000) return std::to_string(bytes) + " B";
  static constexpr const char* kUnits[] = {"kB", "MB", "GB", "TB", "PB", "EB"};
  double value = static_cast<double>(bytes) / 1000;
  size_t unit = 0;
  // 999.96 kB would print as `1000.0 kB`: move on once the rounded value reaches 1000.
  while (value >= 999.95 && unit + 1 < std::size(kUnits)) {
    value /= 1000;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", value, kUnits[unit]);
  return buf;
}

ProgressBar::ProgressBar(std::string label, uint64_t total)
    : label_(std::move(label)),
      total_(total),
      enabled_(::isatty(STDOUT_FILENO) == 1),
      start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() {
  if (!drawn_) return;
  draw(done_);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void ProgressBar::update(uint64_t done) {
  done_ = done;
  if (!enabled_) return;
  if (drawn_ && std::chrono::steady_clock::now() - last_draw_ < kRedrawInterval) return;
  draw(done);
}

void ProgressBar::draw(uint64_t done) {
  last_draw_ = std::chrono::steady_clock::now();
  double seconds = std::chrono::duration<double>(last_draw_ - start_).count();
  auto rate = static_cast<uint64_t>(static_cast<double>(done) / std::max(seconds, 0.001));

  std::string line = "\r" + label_ + "  ";
  if (total_ > 0) {
    uint64_t shown = std::min(done, total_);
    auto filled = static_cast<int>(shown * kBarWidth / total_);
    line += '[' + std::string(filled, '#') + std::string(kBarWidth - filled, '-') + ']';
    char percent[8];
    std::snprintf(percent, sizeof percent, "%3d%%", static_cast<int>(shown * 100 / total_));
    line += std::string("  ") + percent + "  " + human_bytes(done) + " / " + human_bytes(total_);
  } else {
    line += human_bytes(done);
  }
  line += "  " + human_bytes(rate) + "/s";
  // Clears what is left of a longer previous line (the rate can shrink).
  line += "\x1b[K";
  std::fputs(line.c_str(), stdout);
  std::fflush(stdout);
  drawn_ = true;
}

}  // namespace pot::image
