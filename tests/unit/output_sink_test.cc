#include "runtime/output_sink.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include <gtest/gtest.h>

#include "core/unique_fd.h"
#include "test_util.h"

namespace pot {
namespace {

namespace fs = std::filesystem;

// The monitor ignores SIGPIPE (detach_monitor); so must a test that writes to a FIFO whose
// reader is gone.
class IgnoreSigpipe {
 public:
  IgnoreSigpipe() { previous_ = ::signal(SIGPIPE, SIG_IGN); }
  ~IgnoreSigpipe() { ::signal(SIGPIPE, previous_); }
  IgnoreSigpipe(const IgnoreSigpipe&) = delete;
  IgnoreSigpipe& operator=(const IgnoreSigpipe&) = delete;

 private:
  sighandler_t previous_;
};

UniqueFd open_reader(const fs::path& fifo) {
  // Non-blocking: no writer needs to be there for the open.
  UniqueFd fd(::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd) ADD_FAILURE() << "opening " << fifo << " for reading: " << std::strerror(errno);
  return fd;
}

std::string read_available(int fd) {
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<size_t>(n));
  return out;
}

TEST(OutputSink, MakesAndAppendsToARegularFile) {
  testing::TempDir dir;
  fs::path file = dir / "stdout.log";
  {
    OutputSink sink(file.string());
    EXPECT_TRUE(sink.connected());
    sink.write("one\n");
  }
  OutputSink again(file.string());
  again.write("two\n");
  EXPECT_EQ(testing::read_text(file), "one\ntwo\n");
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644U);
}

TEST(OutputSink, AMissingDirectoryIsAnErrorNamingThePath) {
  testing::TempDir dir;
  std::string path = (dir / "no" / "such" / "file").string();
  try {
    OutputSink sink(path);
    FAIL() << "opened " << path;
  } catch (const Error& e) {
    EXPECT_TRUE(testing::HasText(e.what(), path));
  }
}

TEST(OutputSink, AFifoWithoutAReaderNeitherBlocksNorKeepsOutput) {
  IgnoreSigpipe ignore;
  testing::TempDir dir;
  fs::path fifo = dir / "stdout.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  OutputSink sink(fifo.string());  // would hang here with a blocking open
  EXPECT_FALSE(sink.connected());
  sink.write("lost\n");
  EXPECT_FALSE(sink.connected());

  UniqueFd reader = open_reader(fifo);
  sink.write("kept\n");
  EXPECT_TRUE(sink.connected()) << "reopened on the next output";
  EXPECT_EQ(read_available(reader.get()), "kept\n");
}

TEST(OutputSink, AReaderThatLeavesAndComesBack) {
  IgnoreSigpipe ignore;
  testing::TempDir dir;
  fs::path fifo = dir / "stderr.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  UniqueFd reader = open_reader(fifo);
  OutputSink sink(fifo.string());
  ASSERT_TRUE(sink.connected());
  sink.write("first\n");
  EXPECT_EQ(read_available(reader.get()), "first\n");

  reader.reset();
  sink.write("nobody reads this\n");  // EPIPE, not SIGPIPE: dropped
  EXPECT_FALSE(sink.connected());
  sink.write("nor this\n");  // ENXIO on the reopen: dropped

  reader = open_reader(fifo);
  sink.write("second\n");
  EXPECT_TRUE(sink.connected());
  EXPECT_EQ(read_available(reader.get()), "second\n");
}

TEST(OutputSink, OwnedFdFollowsTheSink) {
  IgnoreSigpipe ignore;
  testing::TempDir dir;
  fs::path fifo = dir / "stderr.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  OutputSink sink(fifo.string());
  // A spare fd standing in for the monitor's stderr.
  UniqueFd target(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(target.valid());
  sink.own_fd(target.get());
  EXPECT_EQ(::write(target.get(), "x", 1), 1) << "no reader: /dev/null";

  UniqueFd reader = open_reader(fifo);
  sink.write("from the pot\n");
  ASSERT_TRUE(sink.connected());
  ASSERT_EQ(::write(target.get(), "from the monitor\n", 17), 17);
  EXPECT_EQ(read_available(reader.get()), "from the pot\nfrom the monitor\n");
}

}  // namespace
}  // namespace pot
