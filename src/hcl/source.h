// Positions in HCL source text, for diagnostics and for the structure printers.
#pragma once

#include <cstddef>
#include <string>

namespace hcl {

// Line and column count from 1; the column counts Unicode characters (as HCL's own
// diagnostics do), byte is the offset from the start of the file.
struct Pos {
  int line = 1;
  int column = 1;
  std::size_t byte = 0;
};

// [start, end) in one file. The filename is shared by every range of a parse.
struct Range {
  std::string filename;
  Pos start;
  Pos end;
};

}  // namespace hcl
