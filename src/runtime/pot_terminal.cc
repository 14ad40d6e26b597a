#include "runtime/pot_terminal.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include <string>

#include "core/error.h"
#include "runtime/root_path.h"

namespace pot {

PotTerminal open_pot_terminal(pid_t init_pid) {
  UniqueFd root = open_root_dir(("/proc/" + std::to_string(init_pid) + "/root").c_str());
  UniqueFd master = open_in_root(root.get(), "/dev/pts/ptmx", O_RDWR | O_NOCTTY);
  int unlock = 0;
  if (::ioctl(master.get(), TIOCSPTLCK, &unlock) != 0) throw_sys("unlocking the pot's pty");
  UniqueFd slave(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave) throw_sys("opening the pot's pty");
  winsize size{};
  if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &size) == 0) ::ioctl(master.get(), TIOCSWINSZ, &size);
  return PotTerminal{std::move(master), std::move(slave)};
}

namespace {

class RawMode {
 public:
  RawMode() {
    if (::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~RawMode() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }

 private:
  termios saved_{};
  bool active_ = false;
};

bool copy_once(int from, int to) {
  char buf[4096];
  ssize_t n = ::read(from, buf, sizeof buf);
  if (n < 0 && errno == EINTR) return true;
  if (n <= 0) return false;
  for (ssize_t off = 0; off < n;) {
    ssize_t w = ::write(to, buf + off, static_cast<size_t>(n - off));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return false;
    off += w;
  }
  return true;
}

}  // namespace

void relay_terminal(int master) {
  sigset_t winch;
  sigemptyset(&winch);
  sigaddset(&winch, SIGWINCH);
  sigprocmask(SIG_BLOCK, &winch, nullptr);
  UniqueFd resize(::signalfd(-1, &winch, SFD_CLOEXEC));
  RawMode raw;
  bool input_open = true;
  for (;;) {
    pollfd fds[3] = {{master, POLLIN, 0},
                     {input_open ? STDIN_FILENO : -1, POLLIN, 0},
                     {resize.get(), POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (!copy_once(master, STDOUT_FILENO)) return;  // EIO: the shell is gone
    }
    if (fds[1].revents & (POLLIN | POLLHUP)) {
      if (!copy_once(STDIN_FILENO, master)) input_open = false;
    }
    if (fds[2].revents & POLLIN) {
      signalfd_siginfo info;
      (void)!::read(resize.get(), &info, sizeof info);
      winsize size{};
      if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &size) == 0) ::ioctl(master, TIOCSWINSZ, &size);
    }
  }
}

}  // namespace pot
