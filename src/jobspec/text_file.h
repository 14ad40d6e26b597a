// Reading a whole file the job specification names (the job file, a -var-file), with the
// error that says which kind of file failed: "reading var file `x`: cannot open it".
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace jobspec {

inline std::string read_text_file(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("reading " + what + " `" + path + "`: cannot open it");
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) throw std::runtime_error("reading " + what + " `" + path + "`: read error");
  return text.str();
}

}  // namespace jobspec
