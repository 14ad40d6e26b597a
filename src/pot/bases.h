// Bases: the root filesystems pots are made from.
//   busybox        a minimal root: the host's busybox-static and its applet links
//   debian:SUITE   debootstrap --variant=minbase from the mirror the host's apt uses
//   tar:PATH       an existing root filesystem tarball, extracted safely
#pragma once

#include <string>
#include <vector>

#include "pot/context.h"

namespace pot {

struct BaseOptions {
  std::string name;
  std::string source;
  std::vector<std::string> packages;  // debian: extra packages (-i)
};

// Builds the base in a hidden temporary dataset and renames it into place.
void create_base(Context& ctx, const BaseOptions& options);
void destroy_base(Context& ctx, const std::string& name);
std::vector<std::string> list_bases(const Context& ctx);

// The first Debian mirror URL in the host's apt sources.
std::string host_debian_mirror();

}  // namespace pot
