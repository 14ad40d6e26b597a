#include "runtime/pot_user.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "core/error.h"
#include "core/unique_fd.h"
#include "runtime/root_path.h"

namespace pot {
namespace {

// An account database larger than this is not one: a pot could otherwise make its init
// read without end.
constexpr size_t kMaxDatabaseBytes = 4U << 20;
// setgroups(2) takes at most NGROUPS_MAX (65536) groups.
constexpr size_t kMaxGroups = 65536;

// A uid or gid: decimal digits only, below (uid_t)-1, which means "no change" to setuid.
std::optional<uint32_t> parse_id(std::string_view text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value >= 0xffffffffULL) return std::nullopt;
  return static_cast<uint32_t>(value);
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  for (;;) {
    size_t at = text.find(sep);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

// Calls fn(line) for each line of `text` (without its newline) until fn returns true.
template <typename Fn>
void for_each_line(std::string_view text, Fn&& fn) {
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (fn(line)) return;
    if (end == std::string_view::npos) return;
    text.remove_prefix(end + 1);
  }
}

bool skipped_line(std::string_view line) {
  return line.empty() || line.front() == '#' || line.front() == '+' || line.front() == '-';
}

// The file's text, or nullopt when it does not exist.
std::optional<std::string> read_database(int root_fd, std::string_view path) {
  UniqueFd fd;
  try {
    // Non-blocking: a FIFO planted there must not hang the start.
    fd = open_in_root(root_fd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  } catch (const Error& e) {
    if (e.sys_errno() == ENOENT) return std::nullopt;
    throw;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_sys("reading " + quote_name(path) + " in the pot");
  if (!S_ISREG(st.st_mode)) throw Error(quote_name(path) + " in the pot is not a regular file");
  std::string text;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_sys("reading " + quote_name(path) + " in the pot");
    if (n == 0) return text;
    if (text.size() + static_cast<size_t>(n) > kMaxDatabaseBytes)
      throw Error(quote_name(path) + " in the pot is larger than 4M");
    text.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace

std::optional<PasswdEntry> parse_passwd_line(std::string_view line) {
  if (skipped_line(line)) return std::nullopt;
  // name:password:uid:gid:gecos:home:shell
  std::vector<std::string_view> fields = split(line, ':');
  if (fields.size() != 7 || fields[0].empty()) return std::nullopt;
  auto uid = parse_id(fields[2]);
  auto gid = parse_id(fields[3]);
  if (!uid || !gid) return std::nullopt;
  return PasswdEntry{std::string(fields[0]), *uid, *gid, std::string(fields[5])};
}

std::optional<GroupEntry> parse_group_line(std::string_view line) {
  if (skipped_line(line)) return std::nullopt;
  // name:password:gid:member,member,...
  std::vector<std::string_view> fields = split(line, ':');
  if (fields.size() != 4 || fields[0].empty()) return std::nullopt;
  auto gid = parse_id(fields[2]);
  if (!gid) return std::nullopt;
  GroupEntry entry{std::string(fields[0]), *gid, {}};
  if (!fields[3].empty()) {
    for (std::string_view member : split(fields[3], ',')) {
      if (!member.empty()) entry.members.emplace_back(member);
    }
  }
  return entry;
}

std::optional<PasswdEntry> find_passwd_entry(std::string_view passwd, std::string_view user) {
  std::optional<uint32_t> uid = parse_id(user);
  std::optional<PasswdEntry> found;
  for_each_line(passwd, [&](std::string_view line) {
    auto entry = parse_passwd_line(line);
    if (entry && (entry->name == user || (uid && entry->uid == *uid))) found = std::move(entry);
    return found.has_value();
  });
  return found;
}

std::optional<GroupEntry> find_group_entry(std::string_view group, std::string_view name_or_gid) {
  std::optional<uint32_t> gid = parse_id(name_or_gid);
  std::optional<GroupEntry> found;
  for_each_line(group, [&](std::string_view line) {
    auto entry = parse_group_line(line);
    if (entry && (entry->name == name_or_gid || (gid && entry->gid == *gid)))
      found = std::move(entry);
    return found.has_value();
  });
  return found;
}

UserSpec parse_user_spec(std::string_view spec) {
  size_t colon = spec.find(':');
  UserSpec parsed{spec.substr(0, colon), std::nullopt};
  if (colon != std::string_view::npos) parsed.group = spec.substr(colon + 1);
  bool bad_char = std::ranges::any_of(
      spec, [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7f; });
  if (bad_char || parsed.user.empty() ||
      (parsed.group &&
       (parsed.group->empty() || parsed.group->find(':') != std::string_view::npos)))
    throw Error("invalid user " + quote_name(spec) + ": expected NAME, UID, NAME:GROUP or UID:GID");
  return parsed;
}

PotUser resolve_pot_user(std::string_view spec, std::string_view passwd, std::string_view group) {
  auto [user_part, group_part] = parse_user_spec(spec);
  PotUser user;
  if (auto entry = find_passwd_entry(passwd, user_part)) {
    user.uid = entry->uid;
    user.gid = entry->gid;
    user.name = entry->name;
    user.home = entry->home;
  } else if (auto uid = parse_id(user_part)) {
    user.uid = *uid;  // a uid the pot does not name: gid 0, as runc and Docker do
  } else {
    throw Error("user " + quote_name(user_part) + " not found in the pot's /etc/passwd");
  }
  if (user.home.empty()) user.home = "/";

  if (group_part) {
    if (auto entry = find_group_entry(group, *group_part)) {
      user.gid = entry->gid;
    } else if (auto gid = parse_id(*group_part)) {
      user.gid = *gid;
    } else {
      throw Error("group " + quote_name(*group_part) + " not found in the pot's /etc/group");
    }
    user.groups = {user.gid};
    return user;
  }
  user.groups = {user.gid};
  if (user.name.empty()) return user;
  for_each_line(group, [&](std::string_view line) {
    auto entry = parse_group_line(line);
    if (!entry ||
        std::find(entry->members.begin(), entry->members.end(), user.name) == entry->members.end())
      return false;
    if (std::find(user.groups.begin(), user.groups.end(), entry->gid) == user.groups.end()) {
      if (user.groups.size() == kMaxGroups)
        throw Error("user " + quote_name(user.name) + " is in more than 65536 groups");
      user.groups.push_back(entry->gid);
    }
    return false;
  });
  return user;
}

PotUser resolve_pot_user_in_root(int root_fd, std::string_view spec) {
  std::string passwd = read_database(root_fd, "/etc/passwd").value_or("");
  std::string group = read_database(root_fd, "/etc/group").value_or("");
  return resolve_pot_user(spec, passwd, group);
}

void add_user_environment(std::vector<std::string>& env, const PotUser& user) {
  auto set_default = [&](std::string_view var, const std::string& value) {
    for (const auto& entry : env) {
      if (entry.size() > var.size() && entry.compare(0, var.size(), var) == 0 &&
          entry[var.size()] == '=')
        return;
    }
    env.push_back(std::string(var) + "=" + value);
  };
  set_default("HOME", user.home);
  if (user.name.empty()) return;
  set_default("USER", user.name);
  set_default("LOGNAME", user.name);
}

int become_user(const PotUser& user) {
  if (::setgroups(user.groups.size(), user.groups.data()) != 0) return errno;
  if (::setgid(user.gid) != 0) return errno;
  if (::setuid(user.uid) != 0) return errno;
  return 0;
}

}  // namespace pot
