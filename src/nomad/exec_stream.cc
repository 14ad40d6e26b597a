// ExecTaskStreaming, `nomad alloc exec`: a `pot exec` in the task's pot, its stdio carried
// over the stream. The handler's thread reads the client's messages (stdin, terminal size,
// the end); a pump thread writes the command's output and, last, its exit.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mutex>
#include <thread>

#include "core/process.h"
#include "nomad/convert.h"
#include "nomad/plugin.h"

namespace pot::nomad {

namespace {

using Stream = grpc::ServerReaderWriter<driver_proto::ExecTaskStreamingResponse,
                                        driver_proto::ExecTaskStreamingRequest>;

// Until both output fds are at EOF (the command and everything it started are done).
void pump_output(driver::SpawnedPot& child, Stream* stream) {
  pollfd fds[2] = {{child.stdout_fd.get(), POLLIN, 0}, {child.stderr_fd.get(), POLLIN, 0}};
  char buffer[32768];
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    int ready = ::poll(fds, 2, -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      driver_proto::ExecTaskStreamingResponse response;
      driver_proto::ExecTaskStreamingIOOperation* io =
          i == 0 ? response.mutable_stdout() : response.mutable_stderr();
      if (n > 0) {
        io->set_data(buffer, static_cast<size_t>(n));
      } else {
        io->set_close(true);  // EOF, or EIO: a pty whose other side is gone
        fds[i].fd = -1;
      }
      stream->Write(response);
    }
  }
}

// Writes all of `data` to the command's stdin without blocking the handler for good: a
// command that does not read must not keep us from seeing the client leave.
bool write_stdin(int fd, const std::string& data, grpc::ServerContext* context) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      if (context->IsCancelled()) return false;
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, 200);
      continue;
    }
    return false;  // the command closed its stdin
  }
  return true;
}

}  // namespace

grpc::Status DriverService::ExecTaskStreaming(grpc::ServerContext* context, Stream* stream) {
  driver_proto::ExecTaskStreamingRequest first;
  if (!stream->Read(&first) || !first.has_setup())
    return {grpc::StatusCode::INVALID_ARGUMENT, "exec stream: the first message must carry setup"};
  const auto& setup = first.setup();
  std::vector<std::string> argv(setup.command().begin(), setup.command().end());
  driver::SpawnedPot child;
  try {
    child = state_.driver()->exec_streaming(setup.task_id(), argv, setup.tty());
  } catch (const std::exception& e) {
    return {grpc::StatusCode::FAILED_PRECONDITION, e.what()};
  }
  ::fcntl(child.stdin_fd.get(), F_SETFL, ::fcntl(child.stdin_fd.get(), F_GETFL) | O_NONBLOCK);
  ChildGuard guard(child.pid);
  // The child is reaped under this lock, after waitid(WNOWAIT) saw it end: until then its
  // pid (and group) stay ours, so a kill can never hit a process that reused them.
  std::mutex reap_lock;
  bool reaped = false;
  std::thread pump([&] {
    pump_output(child, stream);
    siginfo_t info{};
    while (::waitid(P_PID, static_cast<id_t>(child.pid), &info, WEXITED | WNOWAIT) < 0 &&
           errno == EINTR) {
    }
    driver::ExitResult result;
    {
      std::lock_guard lock(reap_lock);
      result.exit_code = guard.wait();
      reaped = true;
    }
    driver_proto::ExecTaskStreamingResponse done;
    done.set_exited(true);
    exit_result_to_proto(result, done.mutable_result());
    stream->Write(done);
  });
  // The client's side, until it closes the stream (after it saw the exit, or when it gives up).
  driver_proto::ExecTaskStreamingRequest request;
  while (stream->Read(&request)) {
    if (request.has_tty_size() && setup.tty()) {
      winsize size{};
      size.ws_row = static_cast<unsigned short>(request.tty_size().height());
      size.ws_col = static_cast<unsigned short>(request.tty_size().width());
      ::ioctl(child.stdin_fd.get(), TIOCSWINSZ, &size);
    }
    if (request.has_stdin() && child.stdin_fd) {
      write_stdin(child.stdin_fd.get(), request.stdin().data(), context);
      if (request.stdin().close()) {
        if (setup.tty())
          write_stdin(child.stdin_fd.get(), "\x04", context);  // end of input on a terminal: ^D
        else
          child.stdin_fd.reset();
      }
    }
  }
  // The client is gone: a command still running has no one to talk to. Its whole group
  // goes (pot, its helper, the command); closing a terminal hangs up its session.
  {
    std::lock_guard lock(reap_lock);
    if (!reaped) ::kill(-child.pid, SIGKILL);
  }
  child.stdin_fd.reset();
  pump.join();
  return grpc::Status::OK;
}

}  // namespace pot::nomad
