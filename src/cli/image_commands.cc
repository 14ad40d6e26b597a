// Commands about images: export, import, prepare, prune, keygen and registry.
#include <unistd.h>

#include <climits>
#include <cstring>
#include <ctime>
#include <iostream>

#include "cli/command.h"
#include "cli/options.h"
#include "core/error.h"
#include "core/file_util.h"
#include "core/number.h"
#include "image/http_client.h"
#include "image/image_ref.h"
#include "image/progress.h"
#include "image/registry_index.h"
#include "image/signing.h"
#include "image/token_file.h"
#include "pot/images.h"

namespace pot {
namespace {

// -l LEVEL as a number; export_pot checks its range.
int parse_level(const std::string& text) {
  std::optional<uint64_t> level = to_unsigned(text);
  if (!level || *level > INT_MAX)
    throw Error("compression level -l " + quote_name(text) + ": expected 1 to 19");
  return static_cast<int>(*level);
}

int cmd_export(Invocation& inv) {
  Options o = Options::parse(inv.name, "vp:t:D:l:S:", inv.args);
  ExportOptions options;
  options.pot = o.require('p', "NAME");
  options.tag = o.require('t', "TAG");
  options.dir = o.get('D').value_or(".");
  if (auto level = o.get('l')) options.level = parse_level(*level);
  options.secret_key = o.get('S').value_or("");
  ExportResult result = export_pot(inv.ctx, options);
  std::cout << "exported " << result.image << " (snapshot " << result.snapshot << ") to "
            << options.dir.string() << "\n";
  return 0;
}

ImportOptions import_options(const Options& o) {
  ImportOptions options;
  options.pot = o.require('p', "POT");
  options.tag = o.require('t', "TAG");
  options.url = o.require('U', "URL");
  options.public_key = o.get('C').value_or("");
  return options;
}

int cmd_import(Invocation& inv) {
  Options o = Options::parse(inv.name, "vp:t:U:C:", inv.args);
  std::string pot = import_image(inv.ctx, import_options(o));
  std::cout << "imported " << pot << "\n";
  return 0;
}

int cmd_prepare(Invocation& inv) {
  // -S starts too: the original's spelling.
  Options o = Options::parse(inv.name, "vp:U:t:a:n:c:N:i:B:e:sSC:", inv.args);
  PrepareOptions options;
  options.image = import_options(o);
  options.allocation = o.require('a', "ALLOC_ID");
  options.name = o.get('n').value_or("");
  options.command = o.get('c').value_or("");
  options.network = CloneNetwork{o.get('N').value_or(""), o.all('i'), o.get('B').value_or("")};
  if (options.network.type == "host") options.network.type = "inherit";  // as the original
  options.ports = o.all('e');
  options.start = o.has('s') || o.has('S');
  int exit_code = 0;
  std::string pot = prepare_pot(inv.ctx, options, &exit_code);
  if (!options.start) std::cout << "prepared " << pot << "\n";
  return exit_code;
}

int cmd_prune(Invocation& inv) {
  Options o = Options::parse(inv.name, "vqng", inv.args);
  PruneOptions options;
  options.dry_run = o.has('n');
  // -g: as the original, a minute's grace for pots whose run just ended.
  if (o.has('g')) options.grace_seconds = 60;
  for (const auto& pot : prune_pots(inv.ctx, options))
    if (!o.has('q')) std::cout << (options.dry_run ? "would prune " : "pruned ") << pot << "\n";
  return 0;
}

int cmd_keygen(Invocation& inv) {
  Options o = Options::parse(inv.name, "vk:", inv.args);
  std::string file = o.require('k', "FILE");
  image::generate_key_pair(file);
  std::cout << "secret key: " << file << "\npublic key: " << file << ".pub\n";
  return 0;
}

// `--token-file FILE` is the one long flag (the registry server's own spelling); it is taken
// out before the single-letter flags are parsed.
std::string take_token_file(std::vector<std::string>& args) {
  std::string file;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] != "--token-file") continue;
    if (i + 1 >= args.size()) throw Error("--token-file needs a FILE");
    file = args[i + 1];
    args.erase(args.begin() + static_cast<long>(i), args.begin() + static_cast<long>(i) + 2);
    break;
  }
  return file;
}

// Where `cmake --install` puts pot-registry, relative to pot's bin/ (set by CMakeLists.txt).
#ifndef POT_REGISTRY_FROM_BINDIR
#define POT_REGISTRY_FROM_BINDIR "../libexec/pot/pot-registry"
#endif

// pot-registry lives next to `pot` in a build directory, and in libexec/pot/ once installed
// (cmake --install); both are found from where this `pot` is, never from PATH.
fs::path find_registry_server() {
  char self[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n < 0) throw_sys("finding the pot binary");
  self[n] = '\0';
  fs::path dir = fs::path(self).parent_path();
  fs::path beside = dir / "pot-registry";
  fs::path installed = (dir / POT_REGISTRY_FROM_BINDIR).lexically_normal();
  for (const auto& candidate : {beside, installed}) {
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  throw Error("pot-registry not found: neither " + quote_name(beside.string()) + " nor " +
              quote_name(installed.string()) + " is an executable (build or install it with pot)");
}

// The server is its own program (see CMakeLists.txt): exec it.
int registry_serve(const std::vector<std::string>& args) {
  fs::path server = find_registry_server();
  std::vector<std::string> argv{server.string(), "serve"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> c_argv;
  for (auto& arg : argv) c_argv.push_back(arg.data());
  c_argv.push_back(nullptr);
  std::cout.flush();
  ::execv(server.c_str(), c_argv.data());
  throw_sys("running " + quote_name(server.string()));
}

int registry_push(std::vector<std::string> args) {
  std::string token_file = take_token_file(args);
  Options o = Options::parse("registry push", "vU:p:t:D:", args);
  std::string url = o.require('U', "URL");
  image::check_url(url);
  image::ImageRef ref = image::make_image_ref(o.require('p', "POT"), o.require('t', "TAG"));
  fs::path dir = o.get('D').value_or(".");
  std::string token = token_file.empty() ? std::string() : image::read_token_file(token_file);
  for (const auto& file : ref.files_in_publish_order()) {
    fs::path path = dir / file;
    if (file == ref.signature_file() && !fs::exists(path)) continue;  // unsigned image
    if (!fs::exists(path))
      throw Error("image file " + quote_name(path.string()) + " does not exist (pot export -D)");
    image::FetchOptions progress;
    std::optional<image::ProgressBar> bar;
    if (file == ref.archive_file()) {
      bar.emplace("pushing " + file, fs::file_size(path));
      progress.progress = [&](uint64_t done, uint64_t) { bar->update(done); };
    }
    image::put_file(image::join_url(url, file), path, token, progress);
  }
  std::cout << "pushed " << ref.name() << " to " << url << "\n";
  return 0;
}

std::string format_time(int64_t seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%SZ", &tm);
  return text;
}

int registry_ls(const std::vector<std::string>& args) {
  Options o = Options::parse("registry ls", "vq", args);
  if (o.positional().size() != 1) throw Error("pot registry ls: expected one URL");
  const std::string& url = o.positional()[0];
  image::check_url(url);
  auto entries = image::parse_index(image::fetch_to_string(image::join_url(url, "index.json")));
  for (const auto& entry : entries) {
    if (o.has('q')) {
      std::cout << entry.pot << " " << entry.tag << "\n";
      continue;
    }
    std::cout << entry.pot << "\t" << entry.tag << "\t" << image::human_bytes(entry.size) << "\t"
              << format_time(entry.created) << "\t" << (entry.is_signed ? "signed" : "unsigned")
              << "\n";
  }
  return 0;
}

int cmd_registry(Invocation& inv) {
  if (inv.args.empty()) throw Error("pot registry: expected serve, push or ls");
  std::string action = inv.args[0];
  std::vector<std::string> rest(inv.args.begin() + 1, inv.args.end());
  if (action == "serve") return registry_serve(rest);
  if (action == "push") return registry_push(rest);
  if (action == "ls") return registry_ls(rest);
  throw Error("pot registry: unknown action " + quote_name(action) +
              ": expected serve, push or ls");
}

}  // namespace

void register_image_commands(std::vector<Command>& table) {
  table.insert(
      table.end(),
      {
          {"export", "-p NAME -t TAG [-D DIR] [-l LEVEL] [-S SECRETKEY]",
           "write the pot's last snapshot as an image", cmd_export},
          {"import", "-p POT -t TAG -U URL [-C PUBKEY]",
           "fetch an image as the pot POT_TAG (on FreeBSD also the original pot's POT_TAG.xz "
           "images, as POT_TAG with dots made underscores; -C a signify key for those)",
           cmd_import},
          {"prepare",
           "-U URL -p POT -t TAG -a ALLOC_ID [-n NAME] [-c CMD] [-N TYPE] [-i ADDR] [-B BRIDGE] "
           "[-e PORT]... [-s] [-C PUBKEY]",
           "import an image and make the pot NAME_ALLOC_ID from it (-s: start it)", cmd_prepare},
          {"prune", "[-n] [-q] [-g]",
           "destroy stopped prunable pots that ran (-n: only show them, -g: not those that "
           "ended in the last minute)",
           cmd_prune},
          {"keygen", "-k FILE", "make a key pair for signing images (FILE, FILE.pub)", cmd_keygen},
          {"registry",
           "serve -D DIR [-l ADDR:PORT] [--token-file FILE] | push -U URL -p POT -t TAG [-D DIR] "
           "[--token-file FILE] | ls URL",
           "serve images over HTTP, push one, or list what a registry holds", cmd_registry},
      });
}

}  // namespace pot
