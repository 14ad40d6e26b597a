// The user a pot's command runs as (pot.user, Nomad's task `user`): a name or `uid[:gid]`,
// or `name:group`, looked up in the pot's own /etc/passwd and /etc/group, never the host's.
// The pot's init stays root; only its child drops to the user (setgroups, setgid, setuid)
// just before exec, so init can still reap and signal everything in the pot.
//
// The lookup follows runc's (libcontainer/user): a name must have a passwd entry; a numeric
// uid without one runs with gid 0 and HOME=/, as in Docker; an explicit group (`:gid` or
// `:name`) replaces the primary group and drops the supplementary ones, otherwise the
// supplementary groups are those of /etc/group that list the user's name.
//
// The files come from inside the pot, which is untrusted: they are opened under the pot's
// root without following links out of it, only regular files, read up to a bound, and a
// malformed line is skipped rather than trusted.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pot {

struct PasswdEntry {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
};

struct GroupEntry {
  std::string name;
  gid_t gid = 0;
  std::vector<std::string> members;
};

// One passwd(5) or group(5) line; nullopt for a comment, a blank, a NIS (+/-) or a
// malformed line (wrong field count, an id that is not a decimal number below 2^32-1).
std::optional<PasswdEntry> parse_passwd_line(std::string_view line);
std::optional<GroupEntry> parse_group_line(std::string_view line);

// The first entry matching `name`, or, for a number, the first with that id.
std::optional<PasswdEntry> find_passwd_entry(std::string_view passwd, std::string_view user);
std::optional<GroupEntry> find_group_entry(std::string_view group, std::string_view name_or_gid);

// pot.user split at its colon: the user (a name or uid) and, when given, the group.
struct UserSpec {
  std::string_view user;
  std::optional<std::string_view> group;
};
// Throws Error("invalid user `x`: ...") for an empty part, a second colon, or a space or
// control character (which no passwd name holds).
UserSpec parse_user_spec(std::string_view spec);

// Who the command runs as.
struct PotUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // for setgroups(2): the primary group first
  std::string name;           // empty for a numeric uid without a passwd entry
  std::string home;           // "/" when the entry has none
};

// Resolves `spec` (pot.user) against the texts of the pot's /etc/passwd and /etc/group.
// Throws Error("user `x` not found in the pot's /etc/passwd") and the like.
PotUser resolve_pot_user(std::string_view spec, std::string_view passwd, std::string_view group);

// As above, reading etc/passwd and etc/group under `root_fd` (a directory fd taken as `/`).
// A missing /etc/group counts as empty; a missing /etc/passwd is an error for a name.
PotUser resolve_pot_user_in_root(int root_fd, std::string_view spec);

// Adds HOME, USER and LOGNAME from the user to `env` (VAR=value entries) unless set.
void add_user_environment(std::vector<std::string>& env, const PotUser& user);

// setgroups, setgid, setuid, in that order: the calling process becomes the user. Returns
// 0 or the errno of the step that failed. Async-signal-safe (runs between fork and exec).
int become_user(const PotUser& user);

}  // namespace pot
