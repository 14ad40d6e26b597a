// pot-registry: `pot-registry serve -D DIR [-l ADDR:PORT] [--token-file FILE]`, the program
// behind `pot registry serve`. Prints `pot registry: serving DIR on http://ADDR:PORT` once
// listening; exits 0 after SIGINT or SIGTERM, 1 with `pot-registry: <error>` on stderr.
#include <fcntl.h>
#include <sys/stat.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/file_util.h"
#include "core/unique_fd.h"
#include "image/registry_server.h"
#include "image/token_file.h"

namespace {

constexpr const char* kUsage =
    "usage: pot-registry serve -D DIR [-l ADDR:PORT] [--token-file FILE]";

// `127.0.0.1:8080`, `[::1]:8080`.
void parse_listen(const std::string& text, pot::image::RegistryServerOptions& options) {
  size_t colon = text.rfind(':');
  std::string_view address = std::string_view(text).substr(0, colon);
  std::string_view port =
      colon == std::string::npos ? "" : std::string_view(text).substr(colon + 1);
  bool bracketed = address.size() > 2 && address.front() == '[' && address.back() == ']';
  bool ok = !address.empty() && !port.empty() && port.size() <= 5 &&
            (bracketed || address.find(':') == std::string_view::npos);
  int number = 0;
  for (char c : port) {
    ok = ok && c >= '0' && c <= '9';
    number = number * 10 + (c - '0');
  }
  if (!ok || number > 65535)
    throw pot::Error("-l " + pot::quote_name(text) +
                     ": expected ADDR:PORT, such as 127.0.0.1:8080 or [::1]:8080");
  options.address = std::string(bracketed ? address.substr(1, address.size() - 2) : address);
  options.port = number;
}

// The token guards pushes, so its file must be the owner's alone.
std::string read_token(const std::string& path) {
  pot::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) pot::throw_sys("token file " + pot::quote_name(path));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) pot::throw_sys("token file " + pot::quote_name(path));
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    throw pot::Error("token file " + pot::quote_name(path) +
                     " is accessible by group or others (chmod 600 it)");
  return pot::image::read_token_file(path);
}

int run(int argc, char** argv) {
  if (argc < 2 || std::string_view(argv[1]) != "serve") throw pot::Error(kUsage);
  pot::image::RegistryServerOptions options;
  std::string listen = "127.0.0.1:8080";
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (i + 1 >= argc) throw pot::Error(kUsage);
    if (arg == "-D") {
      options.dir = argv[++i];
    } else if (arg == "-l") {
      listen = argv[++i];
    } else if (arg == "--token-file") {
      options.token = read_token(argv[++i]);
    } else {
      throw pot::Error(kUsage);
    }
  }
  if (options.dir.empty()) throw pot::Error(kUsage);
  parse_listen(listen, options);
  std::string shown = options.address.find(':') == std::string::npos ? options.address
                                                                     : "[" + options.address + "]";
  options.log_requests = true;
  options.on_listening = [&](int port) {
    std::cout << "pot registry: serving " << options.dir.string() << " on http://" << shown << ":"
              << port << std::endl;
  };
  pot::image::serve_registry(options);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "pot-registry: " << e.what() << "\n";
    return 1;
  }
}
