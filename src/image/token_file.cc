#include "image/token_file.h"

#include "core/error.h"
#include "core/file_util.h"

namespace pot::image {

std::string read_token_file(const std::filesystem::path& path) {
  std::string name = quote_name(path.string());
  std::string text = with_context("token file", [&] { return read_file(path); });
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) throw Error("token file " + name + " is empty");
  size_t end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

}  // namespace pot::image
