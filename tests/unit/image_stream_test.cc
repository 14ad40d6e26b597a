// Images whose payload is a stream (image/zstd_stream.h) and the manifest's "payload" field:
// compression through a pipe and back, the limits and damage a receiver must be protected
// from, and which side's failure pipe_through reports.
#include "image/zstd_stream.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "core/error.h"
#include "core/unique_fd.h"
#include "image/digest.h"
#include "image/manifest.h"
#include "test_util.h"

namespace pot::image {
namespace {

namespace fs = std::filesystem;
using ::pot::testing::ErrorOf;
using ::pot::testing::HasText;
using ::pot::testing::read_text;
using ::pot::testing::TempDir;
using ::pot::testing::test_pattern;
using ::pot::testing::write_text;

void write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n <= 0) throw std::runtime_error("write failed");
    done += static_cast<size_t>(n);
  }
}

std::string read_all(int fd) {
  std::string text;
  char buffer[65536];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) text.append(buffer, n);
  return text;
}

// `data` compressed into `archive` the way export does it: written by one side of a pipe.
StreamCompressResult compress_through_pipe(const std::string& data, const fs::path& archive) {
  StreamCompressResult result;
  pipe_through([&](int fd) { write_all(fd, data); },
               [&](int fd) { result = compress_fd_to_file(fd, archive, 3); });
  return result;
}

std::string decompress_through_pipe(const fs::path& archive, uint64_t max_bytes) {
  std::string out;
  pipe_through([&](int fd) { decompress_zstd_to_fd(archive, fd, max_bytes); },
               [&](int fd) { out = read_all(fd); });
  return out;
}

TEST(ImageStream, RoundTripsAStreamLargerThanItsBuffers) {
  TempDir dir("image-stream");
  fs::path archive = dir.path() / "a.zst";
  const std::string data = test_pattern(5 * 1024 * 1024 + 123);
  StreamCompressResult written = compress_through_pipe(data, archive);
  EXPECT_EQ(written.raw_bytes, data.size());
  EXPECT_EQ(written.compressed_bytes, fs::file_size(archive));
  EXPECT_EQ(written.sha256, sha256_file(archive));
  EXPECT_EQ(decompress_through_pipe(archive, data.size()), data);
}

TEST(ImageStream, StopsAtTheSizeTheManifestStates) {
  TempDir dir("image-stream");
  fs::path archive = dir.path() / "a.zst";
  compress_through_pipe(std::string(1 << 20, 'x'), archive);
  std::string error = ErrorOf([&] { decompress_through_pipe(archive, 1000); });
  EXPECT_TRUE(HasText(error, "more than the 1000 bytes its manifest states")) << error;
}

TEST(ImageStream, RefusesTruncatedAndCorruptData) {
  TempDir dir("image-stream");
  fs::path archive = dir.path() / "a.zst";
  compress_through_pipe(test_pattern(200000), archive);
  std::string bytes = read_text(archive);

  write_text(archive, bytes.substr(0, bytes.size() - 10));
  EXPECT_TRUE(HasText(ErrorOf([&] { decompress_through_pipe(archive, UINT64_MAX); }),
                      "truncated zstd data"));
  write_text(archive, "this is not zstd at all");
  EXPECT_TRUE(
      HasText(ErrorOf([&] { decompress_through_pipe(archive, UINT64_MAX); }), "corrupt zstd data"));
}

TEST(ImageStream, PipeThroughReportsTheSideThatFailedFirst) {
  // The reader stops early: the writer then fails with EPIPE (not SIGPIPE), but the
  // reader's failure is the cause.
  std::string error = ErrorOf([&] {
    pipe_through([&](int fd) { write_all(fd, std::string(4 << 20, 'x')); },
                 [&](int) { throw Error("the receiver refused the stream"); });
  });
  EXPECT_EQ(error, "the receiver refused the stream");
  // The writer fails: the reader sees the end of the stream and completes; the writer's
  // failure is reported.
  std::string seen;
  error = ErrorOf([&] {
    pipe_through(
        [&](int fd) {
          write_all(fd, "partial");
          throw Error("corrupt source");
        },
        [&](int fd) { seen = read_all(fd); });
  });
  EXPECT_EQ(error, "corrupt source");
  EXPECT_EQ(seen, "partial");
}

TEST(ImageStream, ManifestPayloadDefaultsToTarAndRoundTripsZfsSend) {
  Manifest manifest;
  manifest.pot = "web";
  manifest.tag = "1.0";
  manifest.archive_file = "web_1.0.tar.zst";
  std::string tar_json = manifest.to_json();
  EXPECT_FALSE(HasText(tar_json, "payload"));  // what older pots wrote, and read
  EXPECT_EQ(Manifest::parse(tar_json).payload, Payload::kTar);

  manifest.payload = Payload::kZfsSend;
  std::string json = manifest.to_json();
  EXPECT_TRUE(HasText(json, "\"payload\": \"zfs-send\""));
  EXPECT_EQ(Manifest::parse(json).payload, Payload::kZfsSend);

  std::string unknown = json;
  unknown.replace(unknown.find("zfs-send"), 8, "squashfs");
  EXPECT_TRUE(
      HasText(ErrorOf([&] { Manifest::parse(unknown); }), "payload `squashfs` is not supported"));
}

}  // namespace
}  // namespace pot::image
