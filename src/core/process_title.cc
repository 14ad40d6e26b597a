#include "core/process_title.h"

#include <sys/prctl.h>

#include <algorithm>
#include <cstring>
#include <sstream>
#include <string>

#include "core/file_util.h"
#include "core/number.h"

namespace pot {

void set_process_title(std::string_view title) {
  std::string comm(title.substr(0, 15));
  // Only fails for a bad pointer; a title is cosmetic and never worth failing a start for.
  (void)::prctl(PR_SET_NAME, comm.c_str(), 0, 0, 0);
  // The kernel shows the bytes between arg_start and arg_end (fields 48 and 49 of
  // /proc/self/stat, after the parenthesised command name).
  auto stat = read_file_if_exists("/proc/self/stat");
  if (!stat) return;
  size_t close = stat->rfind(')');
  if (close == std::string::npos) return;
  std::istringstream fields(stat->substr(close + 2));
  std::string field;
  uint64_t arg_start = 0, arg_end = 0;
  for (int index = 3; fields >> field; ++index) {
    if (index == 48) arg_start = to_unsigned(field).value_or(0);
    if (index == 49) {
      arg_end = to_unsigned(field).value_or(0);
      break;
    }
  }
  if (arg_start == 0 || arg_end <= arg_start) return;
  auto* area = reinterpret_cast<char*>(arg_start);
  size_t size = arg_end - arg_start;
  std::memset(area, 0, size);
  std::memcpy(area, title.data(), std::min(title.size(), size - 1));
}

}  // namespace pot
