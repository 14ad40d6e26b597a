// Reading the original pot's images: naming, the Skein-1024 check, the optional signify
// signature, the .meta origin, and xz decompression into `zfs receive`.
#include "image/original_image.h"

#include <fcntl.h>
#include <lzma.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "core/error.h"
#include "core/file_util.h"
#include "core/unique_fd.h"
#include "image/signify.h"
#include "image/skein1024.h"

namespace pot::image {

namespace fs = std::filesystem;

namespace {

constexpr size_t kChunkBytes = 1 << 20;
// A .skein file is 257 bytes; reading more than this of one is pointless.
constexpr size_t kMaxSkeinFileBytes = 4096;
// `xz -9`, the strongest level export.sh accepts, decodes with a 64 MiB dictionary; a
// stream that asks for more than this was not made by `pot export`.
constexpr uint64_t kXzMemoryLimit = 256ULL << 20;

bool is_plain_name_part(std::string_view part) {
  if (part.empty() || part == "." || part == "..") return false;
  return std::none_of(part.begin(), part.end(), [](char c) {
    return c == '/' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
}

UniqueFd open_for_reading(const fs::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_sys("opening " + quote_name(path.string()));
  return fd;
}

// Reads up to `size` bytes (fewer only at end of file); retries on EINTR.
size_t read_some(int fd, const fs::path& path, uint8_t* buffer, size_t size) {
  for (;;) {
    ssize_t n = ::read(fd, buffer, size);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) throw_sys("reading " + quote_name(path.string()));
  }
}

void hash_file(Skein1024& hash, const fs::path& path, std::vector<uint8_t>& buffer) {
  UniqueFd fd = open_for_reading(path);
  while (size_t n = read_some(fd.get(), path, buffer.data(), buffer.size())) {
    hash.update(buffer.data(), n);
  }
}

// The .skein file's bytes (small; refused when it is not).
std::string read_skein_file(const fs::path& path) {
  UniqueFd fd = open_for_reading(path);
  std::string text(kMaxSkeinFileBytes + 1, '\0');
  size_t size = 0;
  while (size < text.size()) {
    size_t n = read_some(fd.get(), path, reinterpret_cast<uint8_t*>(text.data() + size),
                         text.size() - size);
    if (n == 0) break;
    size += n;
  }
  if (size > kMaxSkeinFileBytes) {
    throw Error(quote_name(path.string()) + ": not a `skein1024 -q` digest (larger than " +
                std::to_string(kMaxSkeinFileBytes) + " bytes)");
  }
  text.resize(size);
  return text;
}

bool is_skein_text(std::string_view text) {
  const size_t hex_digits = Skein1024::kDigestBytes * 2;
  return text.size() == hex_digits + 1 && text.back() == '\n' &&
         std::all_of(text.begin(), text.end() - 1,
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

void write_all(int fd, const uint8_t* data, size_t size, const fs::path& source) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_sys("writing the decompressed " + quote_name(source.string()));
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

// Owns a liblzma decoder.
class XzDecoder {
 public:
  explicit XzDecoder(const fs::path& path) {
    if (::lzma_stream_decoder(&stream_, kXzMemoryLimit, LZMA_CONCATENATED) != LZMA_OK) {
      throw Error(quote_name(path.string()) + ": cannot set up the xz decoder");
    }
  }
  XzDecoder(const XzDecoder&) = delete;
  XzDecoder& operator=(const XzDecoder&) = delete;
  ~XzDecoder() { ::lzma_end(&stream_); }

  lzma_stream& stream() { return stream_; }

 private:
  lzma_stream stream_ = LZMA_STREAM_INIT;
};

// What a liblzma result other than OK / STREAM_END means for the file.
std::string xz_failure(lzma_ret ret) {
  switch (ret) {
    case LZMA_FORMAT_ERROR:
      return "not an xz file";
    case LZMA_DATA_ERROR:
      return "corrupt xz data";
    case LZMA_BUF_ERROR:
      return "truncated xz data (the file ends inside a stream)";
    case LZMA_MEMLIMIT_ERROR:
      return "the xz stream needs more than " + std::to_string(kXzMemoryLimit >> 20) +
             " MiB of memory to decompress";
    case LZMA_OPTIONS_ERROR:
      return "unsupported xz options";
    case LZMA_MEM_ERROR:
      return "out of memory decompressing";
    default:
      return "xz decoder error " + std::to_string(static_cast<int>(ret));
  }
}

}  // namespace

OriginalImageFiles original_image_files(const fs::path& dir, std::string_view name,
                                        std::string_view tag) {
  if (!is_plain_name_part(name)) {
    throw Error("image name " + quote_name(name) + ": not usable in a file name");
  }
  if (!is_plain_name_part(tag)) {
    throw Error("image tag " + quote_name(tag) + ": not usable in a file name");
  }
  const fs::path xz = dir / (std::string(name) + "_" + std::string(tag) + ".xz");
  OriginalImageFiles files{xz, fs::path(xz.string() + ".meta"), fs::path(xz.string() + ".skein"),
                           std::nullopt};
  fs::path signature(files.skein.string() + ".sig");
  std::error_code ec;
  if (fs::exists(signature, ec)) files.signature = std::move(signature);
  return files;
}

std::string original_imported_pot_name(std::string_view name, std::string_view tag) {
  std::string pot = std::string(name) + "_" + std::string(tag);
  std::replace(pot.begin(), pot.end(), '.', '_');
  return pot;
}

std::string original_skein_text(const fs::path& xz, const fs::path& meta) {
  std::vector<uint8_t> buffer(kChunkBytes);
  Skein1024 hash;
  hash_file(hash, xz, buffer);
  std::error_code ec;
  if (fs::exists(meta, ec)) hash_file(hash, meta, buffer);
  return to_hex(hash.final()) + "\n";
}

void verify_original_image(const OriginalImageFiles& files,
                           const std::optional<fs::path>& public_key) {
  const std::string recorded = read_skein_file(files.skein);

  if (public_key) {
    if (!files.signature) {
      throw Error(quote_name(files.skein.string() + ".sig") +
                  ": no signature, and a public key was given to check it");
    }
    verify_signify_signature(*public_key, *files.signature, recorded);
  }

  if (!is_skein_text(recorded)) {
    throw Error(quote_name(files.skein.string()) +
                ": not a `skein1024 -q` digest (256 lowercase hex digits and a newline)");
  }
  const std::string computed = original_skein_text(files.xz, files.meta);
  if (computed != recorded) {
    constexpr size_t kShown = 16;
    throw Error(quote_name(files.xz.string()) + " with " + quote_name(files.meta.string()) +
                ": Skein-1024 digest " + computed.substr(0, kShown) +
                "... differs from the one in " + quote_name(files.skein.string()) + " (" +
                recorded.substr(0, kShown) + "...): the image is damaged or was changed");
  }
}

std::optional<OriginalImageOrigin> parse_original_meta(std::string_view text) {
  const std::string_view line = text.substr(0, text.find('\n'));
  if (line.empty() || line == "-") return std::nullopt;

  const std::string bad = "image meta " + quote_name(line) + ": ";
  const bool forbidden_char = std::any_of(line.begin(), line.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return c == '/' || c == ' ' || byte < 0x20 || byte == 0x7f;
  });
  if (forbidden_char) throw Error(bad + "contains `/`, white space or a control character");

  const size_t at = line.find('@');
  const size_t colon = line.find(':');
  if (at == std::string_view::npos || line.find('@', at + 1) != std::string_view::npos ||
      colon == std::string_view::npos || colon > at || line.find(':', colon + 1) < at) {
    throw Error(bad + "not of the form POT:TAG@SNAPSHOT");
  }
  OriginalImageOrigin origin{std::string(line.substr(0, colon)),
                             std::string(line.substr(colon + 1, at - colon - 1)),
                             std::string(line.substr(at + 1))};
  if (origin.pot.empty() || origin.tag.empty() || origin.snapshot.empty()) {
    throw Error(bad + "an empty part in POT:TAG@SNAPSHOT");
  }
  return origin;
}

uint64_t decompress_xz_to_fd(const fs::path& path, int fd) {
  UniqueFd input = open_for_reading(path);
  XzDecoder decoder(path);
  lzma_stream& stream = decoder.stream();
  std::vector<uint8_t> in_buffer(kChunkBytes);
  std::vector<uint8_t> out_buffer(kChunkBytes);
  uint64_t written = 0;
  lzma_action action = LZMA_RUN;

  stream.next_out = out_buffer.data();
  stream.avail_out = out_buffer.size();
  for (;;) {
    if (stream.avail_in == 0 && action == LZMA_RUN) {
      size_t n = read_some(input.get(), path, in_buffer.data(), in_buffer.size());
      stream.next_in = in_buffer.data();
      stream.avail_in = n;
      // With LZMA_CONCATENATED the decoder only knows the input is over when told.
      if (n == 0) action = LZMA_FINISH;
    }
    const lzma_ret ret = ::lzma_code(&stream, action);
    const bool done = ret == LZMA_STREAM_END;
    if (ret != LZMA_OK && !done) throw Error(quote_name(path.string()) + ": " + xz_failure(ret));

    if (stream.avail_out == 0 || done) {
      const size_t produced = out_buffer.size() - stream.avail_out;
      write_all(fd, out_buffer.data(), produced, path);
      written += produced;
      stream.next_out = out_buffer.data();
      stream.avail_out = out_buffer.size();
    }
    if (done) return written;
  }
}

}  // namespace pot::image
