#!/usr/bin/python3 -SE
"""Fake FreeBSD base-system commands, for testing pot's FreeBSD backend on Linux.

Every command name in this directory (zfs, jail, jexec, jls, ifconfig, pfctl, rctl, cpuset,
mount_nullfs, mount, umount, sysctl, kldload, sysrc, service) is a symlink to this program,
which dispatches on the name it was called by (or on its first argument when called as
`fakebsd.py NAME ARGS...`). It runs hundreds of times a test: Debian's python3 straight
(not a version manager's shim), without site (-S) or PYTHON* variables (-E), and with
only json, os, sys and fcntl imported up front. Nothing here touches the host's mounts, interfaces or firewall:
the fakes record every call and keep just enough state to answer the questions the backend
asks. The only real effects are on files: dataset mountpoint directories are made, filled
and emptied as ZFS would, and `jexec` really runs its command on the host.

State: the directory named by $FAKEBSD_STATE (required).
  calls.log     one JSON array per call, [command, arg1, ...], appended for every call
                (failing ones too), in the order the calls took the lock.
  state.json    what the fakes know (datasets, snapshots, jails, interfaces, pf anchors,
                rctl rules, cpusets, mounts, sysctls). Read and written under the lock.
  lock          flock(2) that serialises the fakes.
  snapshots/N   a real copy of a dataset's tree taken by `zfs snapshot`.
Optional inputs a test may write before the first call:
  host_interfaces  one interface a line: `NAME [ADDR/LEN ...]`
                   (default: `lo0 127.0.0.1/8` and `em0 10.0.2.15/24`).
  pools            one ZFS pool a line: `NAME [MOUNTPOINT]` (default: `zroot none`).
  pf.conf          what `pfctl -f /etc/pf.conf` reads (default: a file declaring
                   `nat-anchor pot-nat` and `rdr-anchor "pot-rdr/*"`, as `pot init` leaves);
                   `sysrc -n pf_rules` names this file, so `pot init` edits it, never the
                   host's /etc/pf.conf.
Read at every call:
  rctl_usage       what `rctl -u jail:NAME` reports beyond its defaults, one value a line:
                   `NAME RESOURCE=VALUE` (e.g. `web memoryuse=52428800`).

Failure injection: $FAKEBSD_STATE/fail, one rule a line (blank lines and # comments skipped):
    COMMAND [WORD...] [=> exit N [MESSAGE...]] [once]
The first rule whose COMMAND is the called name and whose WORDs are a prefix of the call's
arguments (`*` matches any one word) makes the call print MESSAGE (default: "COMMAND:
injected failure") on stderr and exit N (default 1) without changing any state. A rule whose
last word is `once` is removed from the file when it fires. The call is still logged.
The action `=> kill-caller [N]` instead SIGKILLs the process that ran the fake (its parent:
`pot`, or the monitor a `pot start` forked) and exits 137, again changing no state: a crash
of pot just before that step. With N, the first N-1 matching calls go through (the rule
counts down in the file) and the N-th is the one killed.
Examples:
    zfs create zroot/pot/jails/web => exit 1 cannot create 'zroot/pot/jails/web': out of space
    ifconfig * destroy => exit 1 ifconfig: interface is gone once
    jail -c => kill-caller 2 once

Deliberate simplifications: `jail -c` runs no exec.* commands and a jail lives until
`jail -r`; `zfs send -R` carries only the named snapshot of each dataset; mounts (nullfs,
tmpfs, devfs...) are entries in a table, their directories must exist but see no content.
"""

import fcntl
import json
import os
import sys

STATE_DIR = ""
STDOUT = sys.stdout
STDERR = sys.stderr


class Fail(Exception):
    """A command failure: its message goes to stderr and the fake exits with `code`."""

    def __init__(self, message, code=1):
        super().__init__(message)
        self.code = code


def out(text=""):
    STDOUT.write(text + "\n")


def state_path(name):
    return os.path.join(STATE_DIR, name)


# --------------------------------------------------------------------------------------------
# State
# --------------------------------------------------------------------------------------------

def read_optional(name):
    try:
        with open(state_path(name)) as f:
            return f.read()
    except FileNotFoundError:
        return None


def initial_state():
    interfaces = {}
    text = read_optional("host_interfaces")
    if text is None:
        text = "lo0 127.0.0.1/8\nem0 10.0.2.15/24\n"
    for line in text.splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        iface = new_interface("loopback" if words[0].startswith("lo") else "host")
        iface["up"] = True
        for addr in words[1:]:
            family = "inet6" if ":" in addr else "inet"
            address, _, length = addr.partition("/")
            iface[family].append([address, int(length or (64 if family == "inet6" else 32))])
        interfaces[words[0]] = iface
    datasets = {}
    text = read_optional("pools")
    if text is None:
        text = "zroot none\n"
    for line in text.splitlines():
        words = line.split()
        if words and not words[0].startswith("#"):
            mountpoint = words[1] if len(words) > 1 else "/" + words[0]
            datasets[words[0]] = {"props": {"mountpoint": mountpoint}, "created": 0,
                                  "mounted": mountpoint.startswith("/")}
    return {
        "counter": 1,
        "zfs": {"datasets": datasets, "snapshots": {}},
        "jails": {},
        "next_jid": 1,
        "interfaces": interfaces,
        "pf": {"enabled": False, "main": [], "anchors": {}},
        "rctl": [],
        "cpusets": {},
        "mounts": [],
        "sysctl": {
            "kern.features.vimage": "1",
            "net.inet.ip.portrange.reservedhigh": "1023",
            "net.inet.ip.forwarding": "0",
            "net.inet6.ip6.forwarding": "0",
            "kern.boottime": "{ sec = 1700000000, usec = 0 } Tue Nov 14 22:13:20 2023",
            "hw.ncpu": "4",
            "kern.racct.enable": "1",
            "kern.osrelease": "14.1-RELEASE",
            "hw.machine": "amd64",
            "hw.machine_arch": "amd64",
        },
    }


def load_state():
    text = read_optional("state.json")
    return initial_state() if text is None else json.loads(text)


def save_state(state):
    tmp = state_path("state.json.tmp")
    with open(tmp, "w") as f:
        json.dump(state, f, indent=1)
    os.replace(tmp, state_path("state.json"))


def next_number(state):
    state["counter"] += 1
    return state["counter"]


# --------------------------------------------------------------------------------------------
# Failure injection
# --------------------------------------------------------------------------------------------

def injected_failure(argv):
    """The (code, message) of the first fail rule matching argv, or None; `once` rules go."""
    text = read_optional("fail")
    if not text:
        return None
    lines = text.splitlines()
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        words = stripped.split()
        once = words[-1] == "once"
        if once:
            words = words[:-1]
        pattern, code, message = words, 1, None
        if "=>" in words:
            cut = words.index("=>")
            pattern, action = words[:cut], words[cut + 1:]
            if action[:1] == ["kill-caller"]:
                if not kill_rule_due(lines, index, pattern, action, argv):
                    continue
                code, action = KILL_CALLER, []
            if action and action[0] == "exit":
                action = action[1:]
            if action and action[0].lstrip("-").isdigit():
                code, action = int(action[0]), action[1:]
            if action:
                message = " ".join(action)
        if not pattern or len(pattern) > len(argv):
            continue
        if all(p == "*" or p == a for p, a in zip(pattern, argv)):
            if once:
                del lines[index]
                with open(state_path("fail"), "w") as f:
                    f.write("".join(kept + "\n" for kept in lines))
            return code, message or (argv[0] + ": injected failure")
    return None


KILL_CALLER = "kill-caller"


def kill_rule_due(lines, index, pattern, action, argv):
    """Whether a `=> kill-caller [N]` rule kills this call: it matches, and its count (N,
    default 1) is down to 1; a match before that counts the rule down in the fail file."""
    if not pattern or len(pattern) > len(argv):
        return False
    if not all(p == "*" or p == a for p, a in zip(pattern, argv)):
        return False
    count = int(action[1]) if len(action) > 1 and action[1].isdigit() else 1
    if count <= 1:
        return True
    once = lines[index].split()[-1] == "once"
    lines[index] = " ".join(pattern + ["=>", "kill-caller", str(count - 1)] +
                            (["once"] if once else []))
    with open(state_path("fail"), "w") as f:
        f.write("".join(kept + "\n" for kept in lines))
    return False


def kill_caller():
    """SIGKILLs the process that ran this fake, as a crash of it before this step would."""
    caller = os.getppid()
    if caller > 1:
        os.kill(caller, 9)  # SIGKILL, without importing signal on every call
    try:
        STDERR.write("fakebsd: killed the caller (pid %d)\n" % caller)
        STDERR.flush()
    except OSError:
        pass  # the caller held the only reader of our stderr
    return 137


# --------------------------------------------------------------------------------------------
# Files (what mounting, snapshots and rollbacks do to a dataset's directory)
# --------------------------------------------------------------------------------------------

def is_under(path, ancestor):
    return path.startswith(ancestor.rstrip("/") + "/")


def clear_tree(directory, keep):
    """Removes everything in `directory` except the paths in `keep` (and their ancestors)."""
    import shutil
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return
    for entry in entries:
        path = entry.path
        if path in keep:
            continue
        if entry.is_dir(follow_symlinks=False):
            if any(is_under(k, path) for k in keep):
                clear_tree(path, keep)
            else:
                os.chmod(path, 0o700)
                shutil.rmtree(path)
        else:
            os.unlink(path)


def copy_tree(source, target, skip=()):
    """Copies `source`'s contents into `target` (merging); paths in `skip` stay empty dirs."""
    import shutil
    os.makedirs(target, exist_ok=True)
    for entry in os.scandir(source):
        dest = os.path.join(target, entry.name)
        if entry.is_symlink():
            if os.path.lexists(dest):
                os.unlink(dest)
            os.symlink(os.readlink(entry.path), dest)
        elif entry.is_dir():
            if entry.path in skip:
                os.makedirs(dest, exist_ok=True)
            else:
                copy_tree(entry.path, dest, skip)
        else:
            shutil.copy2(entry.path, dest)


# --------------------------------------------------------------------------------------------
# zfs
# --------------------------------------------------------------------------------------------

INHERITED_DEFAULTS = {"compression": "off", "atime": "on", "readonly": "off", "exec": "on",
                      "setuid": "on", "quota": "none", "encryption": "off"}
SIZES = {"used": (98304, "96K"), "referenced": (98304, "96K"), "refer": (98304, "96K"),
         "available": (10737418240, "10G"), "avail": (10737418240, "10G")}


def parent_of(name):
    return name.rsplit("/", 1)[0] if "/" in name else None


def split_pairs(words):
    props = {}
    for word in words:
        key, eq, value = word.partition("=")
        if not eq:
            raise Fail("cannot set property: '%s': missing '=' for property" % word, 2)
        props[key] = value
    return props


class Zfs:
    def __init__(self, state):
        self.state = state
        self.datasets = state["zfs"]["datasets"]
        self.snapshots = state["zfs"]["snapshots"]

    # --- queries -----------------------------------------------------------------------------
    def require(self, name):
        if name not in self.datasets and name not in self.snapshots:
            raise Fail("cannot open '%s': dataset does not exist" % name)

    def descendants(self, name):
        """The dataset and every dataset below it, parents before children."""
        prefix = name + "/"
        found = [n for n in self.datasets if n == name or n.startswith(prefix)]
        return sorted(found, key=lambda n: n.split("/"))

    def snapshots_of(self, name):
        found = [s for s in self.snapshots if s.split("@")[0] == name]
        return sorted(found, key=lambda s: self.snapshots[s]["created"])

    def prop(self, name, key):
        """(value, source) of a property, inherited the way ZFS inherits it."""
        if name in self.snapshots:
            snap = self.snapshots[name]
            if key == "name":
                return name, "-"
            if key == "type":
                return "snapshot", "-"
            if key == "creation":
                return str(1700000000 + snap["created"]), "-"
            if key in ("available", "avail"):
                return "-", "-"
            if key in SIZES:
                return "0", "-"
            if key == "clones":
                return ",".join(self.clones_of(name)) or "-", "-"
            return snap.get("props", {}).get(key, "-"), "local" if key in snap.get("props", {}) else "-"
        ds = self.datasets[name]
        if key == "name":
            return name, "-"
        if key == "type":
            return "filesystem", "-"
        if key == "creation":
            return str(1700000000 + ds["created"]), "-"
        if key == "mounted":
            return ("yes" if ds.get("mounted") else "no"), "-"
        if key == "origin":
            return ds.get("origin", "-"), "-"
        if key in SIZES:
            return str(SIZES[key][0]), "-"
        if key in ds["props"]:
            return ds["props"][key], "local"
        if key == "canmount":
            return "on", "default"
        inheritable = key == "mountpoint" or key in INHERITED_DEFAULTS or ":" in key
        if not inheritable:
            return "-", "-"
        parent = parent_of(name)
        child = name
        while parent is not None:
            props = self.datasets[parent]["props"]
            if key in props:
                value = props[key]
                if key == "mountpoint" and value.startswith("/"):
                    value = value.rstrip("/") + name[len(parent):]
                return value, "inherited from " + parent
            child, parent = parent, parent_of(parent)
        if key == "mountpoint":
            return "/" + name, "default"
        if key in INHERITED_DEFAULTS:
            return INHERITED_DEFAULTS[key], "default"
        return "-", "-"

    def shown(self, name, key, parsable):
        value, _ = self.prop(name, key)
        if parsable or key not in SIZES and key != "creation":
            return value
        if key == "creation":
            import time
            return time.strftime("%a %b %d %H:%M %Y", time.gmtime(int(value)))
        if value == "-":
            return value
        return "0B" if name in self.snapshots else SIZES[key][1]

    def mountpoint(self, name):
        """The directory a mounted dataset occupies, or None."""
        ds = self.datasets[name]
        if not ds.get("mounted"):
            return None
        value, _ = self.prop(name, "mountpoint")
        return value if value.startswith("/") else None

    def other_mountpoints(self, names):
        """Mountpoints of mounted datasets other than `names`: not part of their trees."""
        found = set()
        for other in self.datasets:
            if other not in names:
                mp = self.mountpoint(other)
                if mp:
                    found.add(mp)
        return found

    def can_mount(self, name):
        value, _ = self.prop(name, "mountpoint")
        return self.prop(name, "canmount")[0] == "on" and value.startswith("/")

    # --- changes -----------------------------------------------------------------------------
    def add_dataset(self, name, props, origin=None, mount=True):
        self.datasets[name] = {"props": props, "created": next_number(self.state), "mounted": False}
        if origin:
            self.datasets[name]["origin"] = origin
        if mount:
            self.mount(name)

    def mount(self, name):
        if not self.can_mount(name):
            return
        ds = self.datasets[name]
        ds["mounted"] = True
        mp = self.mountpoint(name)
        os.makedirs(mp, exist_ok=True)
        # A dataset mounted for the first time after a receive shows its latest snapshot.
        snaps = self.snapshots_of(name)
        if snaps and not os.listdir(mp):
            copy_tree(state_path(self.snapshots[snaps[-1]]["copy"]), mp)

    def remove_dataset(self, name):
        mp = self.mountpoint(name)
        for snap in self.snapshots_of(name):
            self.remove_snapshot(snap)
        del self.datasets[name]
        if mp:
            clear_tree(mp, self.other_mountpoints(()))
            try:
                os.rmdir(mp)
            except OSError:
                pass

    def remove_snapshot(self, snap):
        import shutil
        copy = state_path(self.snapshots[snap]["copy"])
        del self.snapshots[snap]
        if os.path.isdir(copy):
            for root, dirs, _ in os.walk(copy):
                for d in dirs:
                    os.chmod(os.path.join(root, d), 0o700)
            shutil.rmtree(copy)

    def take_snapshot(self, dataset, snapname):
        full = dataset + "@" + snapname
        if full in self.snapshots:
            raise Fail("cannot create snapshot '%s': dataset already exists" % full)
        number = next_number(self.state)
        copy = "snapshots/%d" % number
        os.makedirs(state_path(copy))
        mp = self.mountpoint(dataset)
        if mp and os.path.isdir(mp):
            copy_tree(mp, state_path(copy), self.other_mountpoints((dataset,)))
        self.snapshots[full] = {"created": number, "copy": copy}

    def clones_of(self, snap):
        return [n for n, ds in self.datasets.items() if ds.get("origin") == snap]


def zfs_create(z, args):
    props, parents, i = {}, False, 0
    while i < len(args) and args[i].startswith("-"):
        flag = args[i]
        if flag == "-o":
            props.update(split_pairs([args[i + 1]]))
            i += 2
            continue
        if "p" in flag:
            parents = True
        i += 1
    if i != len(args) - 1:
        raise Fail("usage: zfs create [-p] [-o property=value] ... <filesystem>", 2)
    name = args[i]
    if name in z.datasets:
        if parents:
            return 0
        raise Fail("cannot create '%s': dataset already exists" % name)
    missing = []
    parent = parent_of(name)
    while parent is not None and parent not in z.datasets:
        missing.append(parent)
        parent = parent_of(parent)
    if parent is None:
        raise Fail("cannot create '%s': no such pool '%s'" % (name, name.split("/")[0]))
    if missing and not parents:
        raise Fail("cannot create '%s': parent does not exist" % name)
    for ancestor in reversed(missing):
        z.add_dataset(ancestor, {})
    z.add_dataset(name, props)
    return 0


def zfs_destroy(z, args):
    flags = "".join(a[1:] for a in args if a.startswith("-"))
    names = [a for a in args if not a.startswith("-")]
    if len(names) != 1:
        raise Fail("usage: zfs destroy [-fnpRrv] <filesystem|volume|snapshot>", 2)
    name = names[0]
    recursive, dependents = "r" in flags or "R" in flags, "R" in flags
    if "@" in name:
        dataset, snapname = name.split("@", 1)
        z.require(dataset)
        targets = [d + "@" + snapname for d in (z.descendants(dataset) if recursive else [dataset])]
        targets = [t for t in targets if t in z.snapshots]
        if not targets:
            raise Fail("could not find any snapshots to destroy; check snapshot names.")
        for snap in targets:
            clones = z.clones_of(snap)
            if clones and not dependents:
                raise Fail("cannot destroy '%s': snapshot has dependent clones\n"
                           "use '-R' to destroy the following datasets:\n%s"
                           % (snap, "\n".join(clones)))
        for snap in targets:
            for clone in z.clones_of(snap):
                for victim in reversed(z.descendants(clone)):
                    z.remove_dataset(victim)
            z.remove_snapshot(snap)
        return 0
    z.require(name)
    if parent_of(name) is None:
        raise Fail("cannot destroy '%s': operation does not apply to pools" % name)
    subtree = z.descendants(name)
    if not recursive and (len(subtree) > 1 or z.snapshots_of(name)):
        listed = subtree[1:] + z.snapshots_of(name)
        raise Fail("cannot destroy '%s': filesystem has children\n"
                   "use '-r' to destroy the following datasets:\n%s" % (name, "\n".join(listed)))
    for dataset in subtree:
        for snap in z.snapshots_of(dataset):
            outside = [c for c in z.clones_of(snap) if c not in subtree]
            if outside and not dependents:
                raise Fail("cannot destroy '%s': filesystem has dependent clones\n"
                           "use '-R' to destroy the following datasets:\n%s"
                           % (name, "\n".join(outside)))
    for dataset in reversed(subtree):
        if dataset in z.datasets:
            for snap in z.snapshots_of(dataset):
                for clone in z.clones_of(snap):
                    for victim in reversed(z.descendants(clone)):
                        z.remove_dataset(victim)
            z.remove_dataset(dataset)
    return 0


def zfs_snapshot(z, args):
    recursive = "-r" in args
    names = [a for a in args if not a.startswith("-")]
    if not names or any("@" not in n for n in names):
        raise Fail("usage: zfs snapshot [-r] <filesystem|volume>@<snap> ...", 2)
    for name in names:
        dataset, snapname = name.split("@", 1)
        if dataset not in z.datasets:
            raise Fail("cannot open '%s': dataset does not exist" % dataset)
        for target in (z.descendants(dataset) if recursive else [dataset]):
            if target + "@" + snapname in z.snapshots:
                raise Fail("cannot create snapshot '%s@%s': dataset already exists"
                           % (target, snapname))
        for target in (z.descendants(dataset) if recursive else [dataset]):
            z.take_snapshot(target, snapname)
    return 0


def zfs_rollback(z, args):
    flags = "".join(a[1:] for a in args if a.startswith("-"))
    names = [a for a in args if not a.startswith("-")]
    if len(names) != 1 or "@" not in names[0]:
        raise Fail("usage: zfs rollback [-rRf] <snapshot>", 2)
    snap = names[0]
    z.require(snap)
    dataset = snap.split("@")[0]
    order = z.snapshots_of(dataset)
    later = order[order.index(snap) + 1:]
    if later and "r" not in flags and "R" not in flags:
        raise Fail("cannot rollback to '%s': more recent snapshots or bookmarks exist\n"
                   "use '-r' to force deletion of the following snapshots and bookmarks:\n%s"
                   % (snap, "\n".join(later)))
    for newer in later:
        if z.clones_of(newer) and "R" not in flags:
            raise Fail("cannot rollback to '%s': clones of previous snapshots exist" % snap)
    for newer in later:
        for clone in z.clones_of(newer):
            for victim in reversed(z.descendants(clone)):
                z.remove_dataset(victim)
        z.remove_snapshot(newer)
    mp = z.mountpoint(dataset)
    if mp:
        keep = z.other_mountpoints((dataset,))
        clear_tree(mp, keep)
        copy_tree(state_path(z.snapshots[snap]["copy"]), mp, keep)
    return 0


def zfs_clone(z, args):
    props, i = {}, 0
    while i < len(args) and args[i].startswith("-"):
        if args[i] == "-o":
            props.update(split_pairs([args[i + 1]]))
            i += 2
        else:
            i += 1
    if len(args) - i != 2:
        raise Fail("usage: zfs clone [-p] [-o property=value] ... <snapshot> <filesystem|volume>", 2)
    snap, name = args[i], args[i + 1]
    if "@" not in snap or snap not in z.snapshots:
        raise Fail("cannot open '%s': dataset does not exist" % snap)
    if name in z.datasets:
        raise Fail("cannot create '%s': dataset already exists" % name)
    if parent_of(name) not in z.datasets:
        raise Fail("cannot create '%s': parent does not exist" % name)
    z.add_dataset(name, props, origin=snap, mount=False)
    if z.can_mount(name):
        z.datasets[name]["mounted"] = True
        mp = z.mountpoint(name)
        os.makedirs(mp, exist_ok=True)
        copy_tree(state_path(z.snapshots[snap]["copy"]), mp)
    return 0


def zfs_rename(z, args):
    names = [a for a in args if not a.startswith("-")]
    if len(names) != 2:
        raise Fail("usage: zfs rename [-f] <filesystem|volume|snapshot> <filesystem|volume|snapshot>", 2)
    old, new = names
    z.require(old)
    if "@" in old:
        if "@" not in new:
            new = old.split("@")[0] + "@" + new
        if new in z.snapshots:
            raise Fail("cannot rename to '%s': dataset already exists" % new)
        z.snapshots[new] = z.snapshots.pop(old)
        for ds in z.datasets.values():
            if ds.get("origin") == old:
                ds["origin"] = new
        return 0
    if new in z.datasets:
        raise Fail("cannot rename to '%s': dataset already exists" % new)
    if parent_of(new) not in z.datasets:
        raise Fail("cannot rename to '%s': parent does not exist" % new)
    old_mp = z.mountpoint(old)
    for name in z.descendants(old):
        renamed = new + name[len(old):]
        z.datasets[renamed] = z.datasets.pop(name)
        for snap in z.snapshots_of(name):
            new_snap = renamed + snap[len(name):]
            z.snapshots[new_snap] = z.snapshots.pop(snap)
            for ds in z.datasets.values():
                if ds.get("origin") == snap:
                    ds["origin"] = new_snap
    new_mp = z.mountpoint(new)
    # The data moves with the dataset: it is now mounted where its new name says.
    if old_mp and new_mp and old_mp != new_mp and os.path.isdir(old_mp):
        os.makedirs(os.path.dirname(new_mp), exist_ok=True)
        os.rename(old_mp, new_mp)
    return 0


def zfs_promote(z, args):
    """The clone takes over its origin snapshot and the origin's earlier ones; the origin
    becomes a clone of the snapshot it gave away (what lets the origin be destroyed)."""
    if len(args) != 1:
        raise Fail("usage: zfs promote <clone-filesystem>", 2)
    clone = args[0]
    z.require(clone)
    origin_snap = z.datasets[clone].get("origin")
    if not origin_snap or origin_snap == "-":
        raise Fail("cannot promote '%s': not a cloned filesystem" % clone)
    origin = origin_snap.split("@")[0]
    limit = z.snapshots[origin_snap]["created"]
    moved = [s for s in z.snapshots_of(origin) if z.snapshots[s]["created"] <= limit]
    for snap in moved:
        if clone + "@" + snap.split("@")[1] in z.snapshots:
            raise Fail("cannot promote '%s': snapshot name conflict" % clone)
    renames = {snap: clone + "@" + snap.split("@")[1] for snap in moved}
    for snap, new in renames.items():
        z.snapshots[new] = z.snapshots.pop(snap)
    for ds in z.datasets.values():
        if ds.get("origin") in renames:
            ds["origin"] = renames[ds["origin"]]
    inherited = z.datasets[origin].get("origin")
    z.datasets[origin]["origin"] = renames[origin_snap]
    if inherited:
        z.datasets[clone]["origin"] = inherited
    else:
        z.datasets[clone].pop("origin", None)
    return 0


def parse_columns(text):
    aliases = {"avail": "available", "refer": "referenced"}
    return [aliases.get(c, c) for c in text.split(",")]


def print_table(rows, columns, headers):
    if headers:
        rows = [[c.upper() for c in columns]] + rows
        widths = [max(len(r[i]) for r in rows) for i in range(len(columns))]
        for row in rows:
            out("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())
    else:
        for row in rows:
            out("\t".join(row))


def zfs_list(z, args):
    headers, parsable, columns = True, False, ["name", "used", "available", "referenced", "mountpoint"]
    types, recursive, depth, sort_key, names = {"filesystem"}, False, None, None, []
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-o", "-t", "-d", "-s", "-S"):
            value = args[i + 1]
            if a == "-o":
                columns = parse_columns(value)
            elif a == "-t":
                types = {"snapshot" if t in ("snap", "snapshot") else t for t in value.split(",")}
                if "all" in types:
                    types = {"filesystem", "snapshot"}
            elif a == "-d":
                depth, recursive = int(value), True
            else:
                sort_key = value
            i += 2
            continue
        if a.startswith("-"):
            headers = headers and "H" not in a
            parsable = parsable or "p" in a
            recursive = recursive or "r" in a
        else:
            names.append(a)
        i += 1
    selected = []
    roots = names or sorted({n.split("/")[0] for n in z.datasets})
    explicit = bool(names)
    if not names:
        recursive = True
    for root in roots:
        z.require(root)
        if root in z.snapshots:
            selected.append(root)
            continue
        datasets = z.descendants(root) if recursive else [root]
        if depth is not None:
            base = root.count("/")
            datasets = [d for d in datasets if d.count("/") - base <= depth]
        for dataset in datasets:
            if "filesystem" in types:
                selected.append(dataset)
            # `zfs list -t snapshot DS` lists DS's own snapshots.
            snaps_wanted = "snapshot" in types and (recursive or explicit)
            if snaps_wanted and (depth is None or dataset.count("/") - root.count("/") < depth
                                 or dataset == root):
                selected.extend(z.snapshots_of(dataset))
    if sort_key:
        selected.sort(key=lambda n: int(z.prop(n, sort_key)[0])
                      if sort_key in ("creation", "used", "referenced") else z.prop(n, sort_key)[0])
    rows = [[z.shown(n, c, parsable) for c in columns] for n in selected]
    print_table(rows, columns, headers)
    return 0


def zfs_get(z, args):
    headers, parsable, columns, rest, i = True, False, ["name", "property", "value", "source"], [], 0
    while i < len(args):
        a = args[i]
        if a in ("-o", "-s", "-t", "-d"):
            if a == "-o":
                columns = args[i + 1].split(",")
            i += 2
            continue
        if a.startswith("-") and len(rest) == 0:
            headers = headers and "H" not in a
            parsable = parsable or "p" in a
        else:
            rest.append(a)
        i += 1
    if len(rest) < 2:
        raise Fail("usage: zfs get [-rHp] [-o field[,...]] <\"all\" | property[,...]> <dataset> ...", 2)
    props = rest[0].split(",")
    rows = []
    for name in rest[1:]:
        z.require(name)
        for key in props:
            value, source = z.prop(name, key)
            shown = z.shown(name, key, parsable) if value != "-" else "-"
            cells = {"name": name, "property": key, "value": shown, "source": source}
            rows.append([cells[c] for c in columns])
    print_table(rows, columns, headers)
    return 0


def zfs_set(z, args):
    pairs = [a for a in args if "=" in a]
    names = [a for a in args if "=" not in a]
    if not pairs or len(names) != 1:
        raise Fail("usage: zfs set <property=value> ... <filesystem|volume|snapshot> ...", 2)
    z.require(names[0])
    props = split_pairs(pairs)
    for key in ("name", "type", "creation", "used", "origin", "mounted"):
        if key in props:
            raise Fail("cannot set property for '%s': '%s' is readonly" % (names[0], key))
    # Changing mountpoint moves nothing: what was mounted stays where it is in this fake.
    z.datasets[names[0]]["props"].update(props)
    return 0


STREAM_MAGIC = "FAKEBSD-ZFS-STREAM 1 "


def zfs_send(z, args):
    """Writes our stream: one header line (JSON) naming the datasets, then a tar of copies."""
    names = [a for a in args if not a.startswith("-")]
    flags = "".join(a[1:] for a in args if a.startswith("-"))
    if len(names) != 1 or "@" not in names[0]:
        raise Fail("usage: zfs send [-R] <snapshot>", 2)
    snap = names[0]
    z.require(snap)
    dataset, snapname = snap.split("@", 1)
    entries = []
    for name in (z.descendants(dataset) if "R" in flags else [dataset]):
        full = name + "@" + snapname
        if full in z.snapshots:
            props = dict(z.datasets[name]["props"]) if "R" in flags or "p" in flags else {}
            entries.append({"relative": name[len(dataset):], "props": props,
                            "copy": z.snapshots[full]["copy"]})
    if STDOUT.isatty():
        raise Fail("Error: Stream can not be written to a terminal.\n"
                   "You must redirect standard output.")
    return ("send", snap, entries)


def write_stream(snap, entries):
    import tarfile
    header = {"snapshot": snap, "datasets": [
        {"relative": e["relative"], "props": e["props"]} for e in entries]}
    stream = sys.stdout.buffer
    stream.write((STREAM_MAGIC + json.dumps(header) + "\n").encode())
    with tarfile.open(fileobj=stream, mode="w|") as tar:
        for index, entry in enumerate(entries):
            tar.add(state_path(entry["copy"]), arcname=str(index))
    stream.flush()


def spool_stream():
    """Reads a stream from stdin into a file of ours (before taking the lock: the sender may
    be a `zfs send` that waits for the lock-free reader)."""
    import tempfile
    fd, path = tempfile.mkstemp(prefix="recv.", dir=STATE_DIR)
    with os.fdopen(fd, "wb") as f:
        while True:
            chunk = sys.stdin.buffer.read(1 << 20)
            if not chunk:
                break
            f.write(chunk)
    return path


def zfs_receive(z, args, spool):
    import tarfile
    import tempfile
    props, excluded, mount, i, names = {}, set(), True, 0, []
    while i < len(args):
        a = args[i]
        if a in ("-o", "-x"):
            if a == "-o":
                props.update(split_pairs([args[i + 1]]))
            else:
                excluded.add(args[i + 1])
            i += 2
            continue
        if a.startswith("-"):
            mount = mount and "u" not in a
        else:
            names.append(a)
        i += 1
    if len(names) != 1:
        raise Fail("usage: zfs receive [-vnsFhu] [-o <property=value>] ... [-x <property>] ... "
                   "<filesystem|volume|snapshot>", 2)
    with open(spool, "rb") as stream:
        line = stream.readline().decode(errors="replace")
        if not line.startswith(STREAM_MAGIC):
            raise Fail("cannot receive: invalid stream (bad magic number)")
        header = json.loads(line[len(STREAM_MAGIC):])
        target = names[0]
        if "@" in target:
            target = target.split("@")[0]
        snapname = header["snapshot"].split("@", 1)[1]
        if target in z.datasets:
            raise Fail("cannot receive new filesystem stream: destination '%s' exists\n"
                       "must specify -F to overwrite it" % target)
        if parent_of(target) not in z.datasets:
            raise Fail("cannot receive new filesystem stream: parent of '%s' does not exist"
                       % target)
        unpacked = tempfile.mkdtemp(prefix="recv.", dir=STATE_DIR)
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            if hasattr(tarfile, "fully_trusted_filter"):
                tar.extractall(unpacked, filter="fully_trusted")  # our own stream
            else:
                tar.extractall(unpacked)
    import shutil
    try:
        for index, entry in enumerate(header["datasets"]):
            name = target + entry["relative"]
            if name != target and parent_of(name) not in z.datasets:
                raise Fail("cannot receive: parent of '%s' does not exist" % name)
            own = {k: v for k, v in entry["props"].items() if k not in excluded}
            own.update(props if name == target else {})
            z.add_dataset(name, own, origin=props.get("origin") if name == target else None,
                          mount=False)
            z.datasets[name]["props"].pop("origin", None)
            number = next_number(z.state)
            copy = "snapshots/%d" % number
            source = os.path.join(unpacked, str(index))
            if not os.path.isdir(source):
                os.makedirs(source)
            os.rename(source, state_path(copy))
            z.snapshots[name + "@" + snapname] = {"created": number, "copy": copy}
            if mount:
                z.mount(name)
    finally:
        shutil.rmtree(unpacked, ignore_errors=True)
    return 0


def zfs_mount(z, args):
    names = [a for a in args if not a.startswith("-")]
    if not names and "-a" not in args:
        for name in sorted(z.datasets):
            mp = z.mountpoint(name)
            if mp:
                out("%s\t%s" % (name, mp))
        return 0
    for name in (names or sorted(z.datasets, key=lambda n: n.split("/"))):
        if names:
            z.require(name)
        z.mount(name)
    return 0


def zfs_umount(z, args):
    names = [a for a in args if not a.startswith("-")]
    for name in (names or list(z.datasets)):
        if name.startswith("/"):
            found = [n for n in z.datasets if z.mountpoint(n) == name.rstrip("/")]
            if not found:
                raise Fail("cannot unmount '%s': not a mountpoint" % name)
            name = found[0]
        z.require(name)
        if names and not z.datasets[name].get("mounted"):
            raise Fail("cannot unmount '%s': not currently mounted" % name)
        z.datasets[name]["mounted"] = False
    return 0


def cmd_zfs(state, args):
    if not args:
        raise Fail("usage: zfs command args ...", 2)
    z = Zfs(state)
    sub, rest = args[0], args[1:]
    handlers = {
        "create": zfs_create, "destroy": zfs_destroy, "snapshot": zfs_snapshot,
        "snap": zfs_snapshot, "rollback": zfs_rollback, "clone": zfs_clone,
        "rename": zfs_rename, "list": zfs_list, "get": zfs_get, "set": zfs_set,
        "send": zfs_send, "promote": zfs_promote, "mount": zfs_mount, "umount": zfs_umount, "unmount": zfs_umount,
    }
    if sub in ("receive", "recv"):
        return zfs_receive(z, rest, SPOOL)
    if sub not in handlers:
        raise Fail("unrecognized command '%s'" % sub, 2)
    return handlers[sub](z, rest)


SPOOL = None


# --------------------------------------------------------------------------------------------
# jails
# --------------------------------------------------------------------------------------------

def process_start(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return None if fields[0] == "Z" else int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def find_jail(state, key):
    if key in state["jails"]:
        return key
    for name, jail in state["jails"].items():
        if str(jail["jid"]) == key:
            return name
    return None


def kill_jail_processes(jail):
    import signal
    for pid, start in jail.get("pids", []):
        if process_start(pid) != start:
            continue
        for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
            try:
                target()
            except OSError:
                pass
    jail["pids"] = []


def jail_create(state, words, print_jid):
    params = {}
    for word in words:
        key, eq, value = word.partition("=")
        if eq:
            params[key] = value
        elif word.startswith("no") and word not in ("noexec",):
            params[word[2:]] = "false"
        else:
            params[word] = "true"
    name = params.get("name") or str(state["next_jid"])
    if name in state["jails"]:
        raise Fail("jail: create: %s: already exists" % name)
    iface_name = params.get("vnet.interface")
    if iface_name and (iface_name not in state["interfaces"]
                       or state["interfaces"][iface_name].get("vnet")):
        raise Fail("jail: vnet.interface %s: interface does not exist" % iface_name)
    jid = state["next_jid"]
    state["next_jid"] += 1
    jail = {"jid": jid, "name": name, "path": params.get("path", "/"), "params": params,
            "pids": [], "aliases": []}
    state["jails"][name] = jail
    if iface_name:
        state["interfaces"][iface_name]["vnet"] = name
    # ip4.addr=IF|IP: jail(8) adds the address to IF itself and removes it at jail -r.
    for entry in params.get("ip4.addr", "").split(","):
        if "|" in entry:
            iface, address = entry.split("|", 1)
            address, _, length = address.partition("/")
            if iface in state["interfaces"]:
                state["interfaces"][iface]["inet"].append([address, int(length or 32)])
                jail["aliases"].append([iface, address])
    for fs_type, key in (("devfs", "mount.devfs"), ("fdescfs", "mount.fdescfs"),
                         ("procfs", "mount.procfs")):
        if params.get(key) == "true":
            target = jail["path"].rstrip("/") + {"devfs": "/dev", "fdescfs": "/dev/fd",
                                                 "procfs": "/proc"}[fs_type]
            state["mounts"].append({"type": fs_type, "source": fs_type, "target": target,
                                    "options": [], "jail": name})
    if print_jid:
        out(str(jid))
    return 0


def jail_remove(state, key):
    name = find_jail(state, key)
    if name is None:
        raise Fail('jail: "%s" not found' % key)
    jail = state["jails"].pop(name)
    kill_jail_processes(jail)
    for iface in state["interfaces"].values():
        if iface.get("vnet") == name:
            iface["vnet"] = None
    for iface, address in jail.get("aliases", []):
        if iface in state["interfaces"]:
            inet = state["interfaces"][iface]["inet"]
            inet[:] = [a for a in inet if a[0] != address]
    state["mounts"] = [m for m in state["mounts"] if m.get("jail") != name]
    state["cpusets"].pop(str(jail["jid"]), None)
    return 0


def cmd_jail(state, args):
    create = remove = print_jid = False
    words, i = [], 0
    while i < len(args):
        a = args[i]
        if a == "-f" or a == "-f-":
            source = "-" if a == "-f-" else args[i + 1]
            i += 1 if a == "-f-" else 2
            if source == "-":
                sys.stdin.read()
            continue
        if a.startswith("-") and not words:
            create = create or "c" in a
            remove = remove or "r" in a
            print_jid = print_jid or "i" in a
        else:
            words.append(a)
        i += 1
    if create:
        return jail_create(state, words, print_jid)
    if remove:
        if not words:
            raise Fail("usage: jail -r jail", 2)
        for key in words:
            jail_remove(state, key)
        return 0
    raise Fail("jail: fakebsd supports only -c and -r", 2)


JLS_DEFAULTS = {"dying": "false", "ip4.addr": "-", "ip6.addr": "-", "osrelease": "14.1-RELEASE",
                "parent": "0", "children.max": "0", "enforce_statfs": "2"}


def jail_param(jail, key):
    if key == "jid":
        return str(jail["jid"])
    if key in ("name", "path"):
        return jail[key]
    params = jail["params"]
    if key == "host.hostname":
        return params.get(key, jail["name"])
    if key == "vnet":
        return "new" if params.get("vnet") in ("true", "new") else "inherit"
    if key == "persist":
        return params.get("persist", "false")
    if key in ("ip4.addr", "ip6.addr") and key in params:
        # jls shows the addresses, not the interfaces jail(8) put them on.
        return ",".join(a.split("|")[-1].split("/")[0] for a in params[key].split(","))
    if key in params:
        return params[key]
    if key in JLS_DEFAULTS:
        return JLS_DEFAULTS[key]
    raise Fail("jls: unknown parameter: %s" % key)


def cmd_jls(state, args):
    only, quote, header, names_flag, pairs, params, i = None, False, False, False, False, [], 0
    while i < len(args):
        a = args[i]
        if a == "-j":
            only = args[i + 1]
            i += 2
            continue
        if a.startswith("-") and len(a) > 1:
            quote = quote or "q" in a
            header = header or "h" in a
            names_flag = names_flag or "N" in a
            pairs = pairs or "n" in a or "s" in a
        else:
            params.append(a)
        i += 1
    if only is not None:
        name = find_jail(state, only)
        if name is None:
            raise Fail('jls: jail "%s" not found' % only)
        jails = [state["jails"][name]]
    else:
        jails = sorted(state["jails"].values(), key=lambda j: j["jid"])

    def shown(value):
        if quote and (value == "" or any(c in value for c in " \"'\t")):
            return '"' + value.replace('"', '\\"') + '"'
        return value

    if not params and not pairs:
        out("%6s  %-15s %-29s %s" % ("JID" if not names_flag else "Name", "IP Address",
                                     "Hostname", "Path"))
        for jail in jails:
            ip = jail["params"].get("ip4.addr", "").split(",")[0].split("|")[-1]
            first = jail["name"] if names_flag else str(jail["jid"])
            out("%6s  %-15s %-29s %s" % (first, ip, jail_param(jail, "host.hostname"),
                                         jail["path"]))
        return 0
    if not params:
        params = ["jid", "name", "path", "host.hostname", "vnet", "persist"]
    if header and not pairs:
        out(" ".join(params))
    for jail in jails:
        values = [jail_param(jail, p) for p in params]
        if pairs:
            out(" ".join("%s=%s" % (p, shown(v)) for p, v in zip(params, values)))
        else:
            out(" ".join(shown(v) for v in values))
    return 0


def cmd_jexec(state, args):
    i, workdir = 0, None
    while i < len(args) and args[i].startswith("-"):
        if args[i] == "-d" and i + 1 < len(args):
            workdir = args[i + 1]
        i += 2 if args[i] in ("-u", "-U", "-d") else 1
    if i >= len(args):
        raise Fail("usage: jexec [-l] [-d working-directory] [[-U username] | [-u username]] "
                   "jail [command ...]", 1)
    key, command = args[i], args[i + 1:]
    name = find_jail(state, key)
    if name is None:
        raise Fail('jexec: jail "%s" not found' % key)
    jail = state["jails"][name]
    # The process group makes `jail -r` reach what the command started, too.
    try:
        os.setpgid(0, 0)
    except OSError:
        pass
    pid = os.getpid()
    jail["pids"] = [p for p in jail["pids"] if process_start(p[0]) == p[1]]
    jail["pids"].append([pid, process_start(pid)])
    return ("exec", workdir or jail["path"], command or ["/bin/sh"], name)


# --------------------------------------------------------------------------------------------
# ifconfig
# --------------------------------------------------------------------------------------------

def new_interface(kind):
    return {"kind": kind, "up": False, "inet": [], "inet6": [], "groups": [], "descr": "",
            "members": [], "peer": None, "unit": None, "vnet": None}


def prefix_from_netmask(mask):
    if mask.startswith("0x"):
        value = int(mask, 16)
    else:
        value = 0
        for part in mask.split("."):
            value = value * 256 + int(part)
    return bin(value).count("1")


def netmask_hex(length):
    return "0x%08x" % ((0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF)


def broadcast(address, length):
    value = 0
    for part in address.split("."):
        value = value * 256 + int(part)
    value |= (1 << (32 - length)) - 1
    return ".".join(str((value >> s) & 255) for s in (24, 16, 8, 0))


def visible(state, name):
    """Seen from the host, or from the jail a fake jexec ran us in (FAKEBSD_JAIL): an
    interface moved into a jail (vnet) is seen there only; lo0 stands for each one's own."""
    iface = state["interfaces"].get(name)
    if iface is None:
        return False
    if iface["kind"] == "loopback":
        return True
    return (iface.get("vnet") or None) == (os.environ.get("FAKEBSD_JAIL") or None)


def interface_block(name, iface):
    if iface["kind"] == "loopback":
        flags, mtu = "8049<UP,LOOPBACK,RUNNING,MULTICAST>" if iface["up"] else "8008<LOOPBACK,MULTICAST>", 16384
    else:
        flags = "8863<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST>" if iface["up"] else "8802<BROADCAST,SIMPLEX,MULTICAST>"
        mtu = 1500
    lines = ["%s: flags=%s metric 0 mtu %d" % (name, flags, mtu)]
    if iface["descr"]:
        lines.append("\tdescription: %s" % iface["descr"])
    if iface["kind"] != "loopback":
        lines.append("\tether 02:00:00:00:%02x:%02x" % ((iface["unit"] or 0) % 256,
                                                         0x0a if name.endswith("a") else 0x0b))
    for address, length in iface["inet"]:
        if iface["kind"] == "loopback":
            lines.append("\tinet %s netmask %s" % (address, netmask_hex(length)))
        else:
            lines.append("\tinet %s netmask %s broadcast %s" % (address, netmask_hex(length),
                                                                 broadcast(address, length)))
    for address, length in iface["inet6"]:
        lines.append("\tinet6 %s prefixlen %d" % (address, length))
    if iface["groups"]:
        lines.append("\tgroups: %s" % " ".join(iface["groups"]))
    for member in iface["members"]:
        lines.append("\tmember: %s flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>" % member)
    return lines


def free_unit(state, kind):
    used = {i["unit"] for i in state["interfaces"].values() if i["kind"] == kind}
    unit = 0
    while unit in used:
        unit += 1
    return unit


def destroy_interface(state, name):
    iface = state["interfaces"].pop(name)
    if iface["peer"] in state["interfaces"]:
        state["interfaces"].pop(iface["peer"])
    gone = {name, iface["peer"]}
    for other in state["interfaces"].values():
        other["members"] = [m for m in other["members"] if m not in gone]


def ifconfig_create(state, kind, options):
    unit = free_unit(state, kind)
    iface = new_interface(kind)
    iface["unit"] = unit
    if kind == "epair":
        name, peer = "epair%da" % unit, "epair%db" % unit
        other = new_interface(kind)
        other["unit"], other["peer"], iface["peer"] = unit, name, peer
        state["interfaces"][name] = iface
        state["interfaces"][peer] = other
    else:
        name = "bridge%d" % unit
        iface["groups"].append("bridge")
        state["interfaces"][name] = iface
    out(name)
    return apply_options(state, name, options, created=True)


def apply_options(state, name, words, created=False):
    iface = state["interfaces"][name]
    i = 0
    while i < len(words):
        word = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else None
        if word in ("up", "down"):
            iface["up"] = word == "up"
        elif word in ("descr", "description") and nxt is not None:
            iface["descr"] = nxt
            i += 1
        elif word == "group" and nxt is not None:
            if nxt not in iface["groups"]:
                iface["groups"].append(nxt)
            i += 1
        elif word == "-group" and nxt is not None:
            iface["groups"] = [g for g in iface["groups"] if g != nxt]
            i += 1
        elif word == "name" and nxt is not None:
            if nxt in state["interfaces"]:
                raise Fail("ifconfig: ioctl SIOCSIFNAME (set name): File exists")
            # Renaming keeps the interface's place in the list, as the kernel's index does.
            state["interfaces"] = {nxt if k == name else k: v
                                   for k, v in state["interfaces"].items()}
            if iface["peer"] in state["interfaces"]:
                state["interfaces"][iface["peer"]]["peer"] = nxt
            for other in state["interfaces"].values():
                other["members"] = [nxt if m == name else m for m in other["members"]]
            name = nxt
            if not created:
                out(nxt)
            i += 1
        elif word == "destroy":
            destroy_interface(state, name)
            return 0
        elif word in ("addm", "deletem") and nxt is not None:
            if not visible(state, nxt):
                raise Fail("ifconfig: %s: interface %s does not exist" % (word, nxt))
            if word == "addm":
                if nxt in iface["members"]:
                    raise Fail("ifconfig: BRDGADD %s: File exists" % nxt)
                iface["members"].append(nxt)
            else:
                if nxt not in iface["members"]:
                    raise Fail("ifconfig: BRDGDEL %s: Invalid argument" % nxt)
                iface["members"].remove(nxt)
            i += 1
        elif word in ("inet", "inet6") and nxt is not None:
            i = apply_address(iface, word, words, i + 1)
            continue
        elif word in ("vnet", "-vnet") and nxt is not None:
            iface["vnet"] = None if word == "-vnet" else find_jail(state, nxt) or nxt
            if word == "vnet" and find_jail(state, nxt) is None:
                raise Fail("ifconfig: jail \"%s\" not found" % nxt)
            i += 1
        elif word in ("mtu", "ether", "lladdr", "metric") and nxt is not None:
            i += 1
        else:
            raise Fail("ifconfig: %s: bad value (fakebsd does not know it)" % word)
        i += 1
    return 0


def apply_address(iface, family, words, i):
    """Applies `inet ADDR [netmask M|prefixlen N] [alias|-alias|delete]`; returns the next index."""
    address = words[i]
    i += 1
    address, _, length = address.partition("/")
    length = int(length) if length else (64 if family == "inet6" else 32)
    action = "set"
    while i < len(words):
        word = words[i]
        if word == "netmask" and i + 1 < len(words):
            length = prefix_from_netmask(words[i + 1])
            i += 2
        elif word == "prefixlen" and i + 1 < len(words):
            length = int(words[i + 1])
            i += 2
        elif word == "broadcast" and i + 1 < len(words):
            i += 2
        elif word in ("alias", "add"):
            action = "alias"
            i += 1
        elif word in ("-alias", "delete", "remove"):
            action = "remove"
            i += 1
        else:
            break
    addresses = iface[family]
    if action == "remove":
        if not any(a[0] == address for a in addresses):
            raise Fail("ifconfig: ioctl (SIOCDIFADDR): Can't assign requested address")
        addresses[:] = [a for a in addresses if a[0] != address]
    elif action == "alias" or family == "inet6" or not addresses:
        addresses.append([address, length])
    else:
        addresses[0] = [address, length]
    return i


def cmd_ifconfig(state, args):
    if not args:
        args = ["-a"]
    if args[0] == "-l":
        out(" ".join(n for n in state["interfaces"] if visible(state, n)))
        return 0
    if args[0] == "-g":
        if len(args) < 2:
            raise Fail("ifconfig: -g: missing group name", 1)
        for name, iface in state["interfaces"].items():
            if visible(state, name) and args[1] in iface["groups"]:
                out(name)
        return 0
    if args[0] == "-a":
        for name, iface in state["interfaces"].items():
            if visible(state, name):
                for line in interface_block(name, iface):
                    out(line)
        return 0
    name, options = args[0], args[1:]
    if options and options[0] == "create":
        kind = name.rstrip("0123456789")
        if kind not in ("epair", "bridge"):
            raise Fail("ifconfig: SIOCIFCREATE2 (%s): Invalid argument" % name)
        return ifconfig_create(state, kind, options[1:])
    if not visible(state, name):
        raise Fail("ifconfig: interface %s does not exist" % name)
    if not options or options in (["inet"], ["inet6"]):
        lines = interface_block(name, state["interfaces"][name])
        if options:
            lines = [lines[0]] + [l for l in lines[1:] if l.startswith("\t" + options[0] + " ")]
        for line in lines:
            out(line)
        return 0
    return apply_options(state, name, options)


# --------------------------------------------------------------------------------------------
# pf
# --------------------------------------------------------------------------------------------

NAT_WORDS = ("nat", "rdr", "binat", "nat-anchor", "rdr-anchor", "binat-anchor")
DEFAULT_PF_CONF = 'nat-anchor pot-nat\nrdr-anchor "pot-rdr/*"\n'


def split_rules(text):
    nat, rules = [], []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        (nat if line.split()[0] in NAT_WORDS else rules).append(line)
    return nat, rules


def declared_anchors(text):
    found = []
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] in ("anchor", "nat-anchor", "rdr-anchor", "binat-anchor"):
            anchor = words[1].strip('"')
            if anchor.endswith("/*"):
                anchor = anchor[:-2]
            if anchor not in found:
                found.append(anchor)
    return found


def cmd_pfctl(state, args):
    pf = state["pf"]
    anchor, i, actions = None, 0, []
    while i < len(args):
        a = args[i]
        if a in ("-a", "-f", "-F", "-s", "-t", "-T", "-k"):
            if i + 1 >= len(args):
                raise Fail("pfctl: option requires an argument -- %s" % a[1:], 1)
            if a == "-a":
                anchor = args[i + 1]
            else:
                actions.append((a, args[i + 1]))
            i += 2
            continue
        for flag in a[1:]:
            if flag in "ed":
                actions.append(("-" + flag, None))
            elif flag not in "qvnr":
                raise Fail("pfctl: fakebsd does not know -%s" % flag, 1)
        i += 1
    for action, value in actions:
        if action == "-e":
            if pf["enabled"]:
                raise Fail("pfctl: pf already enabled")
            pf["enabled"] = True
            STDERR.write("pf enabled\n")
        elif action == "-d":
            if not pf["enabled"]:
                raise Fail("pfctl: pf not enabled")
            pf["enabled"] = False
            STDERR.write("pf disabled\n")
        elif action == "-f":
            if value == "-":
                text = sys.stdin.read()
            elif (anchor is None and value in ("/etc/pf.conf", state_path("pf.conf"))
                  and not os.path.exists(value)):
                text = read_optional("pf.conf")
                text = DEFAULT_PF_CONF if text is None else text
            else:
                try:
                    with open(value) as f:
                        text = f.read()
                except OSError as e:
                    raise Fail("pfctl: %s: %s" % (value, e.strerror))
            nat, rules = split_rules(text)
            if anchor is None:
                pf["main"] = declared_anchors(text)
                pf["main_rules"] = nat + rules
            else:
                pf["anchors"][anchor] = {"nat": nat, "rules": rules}
        elif action == "-F":
            target = pf["anchors"].get(anchor) if anchor else None
            kinds = {"all": ("nat", "rules"), "nat": ("nat",), "rules": ("rules",)}.get(value, ())
            if anchor is None and value == "all":
                pf["main_rules"] = []
            for kind in kinds:
                if target is not None:
                    target[kind] = []
                STDERR.write("%s cleared\n" % kind)
            if target is not None and not target["nat"] and not target["rules"]:
                del pf["anchors"][anchor]
        elif action == "-s":
            pfctl_show(pf, anchor, value)
        # -t/-T/-k (tables, killing states) are recorded only.
    return 0


def pfctl_show(pf, anchor, what):
    if what in ("Anchors", "A"):
        names = set()
        if anchor is None:
            names.update(pf.get("main", []))
            names.update(pf["anchors"])
        else:
            names.update(n for n in pf["anchors"] if n.startswith(anchor + "/"))
        for name in sorted(names):
            out("  " + name)
    elif what in ("nat", "rules"):
        if anchor is None:
            lines = [l for l in pf.get("main_rules", [])
                     if (l.split()[0] in NAT_WORDS) == (what == "nat")]
        else:
            lines = pf["anchors"].get(anchor, {}).get(what, [])
        for line in lines:
            out(line)
    elif what == "info":
        out("Status: %s for 0 days 00:00:00           Debug: Urgent" %
            ("Enabled" if pf["enabled"] else "Disabled"))
    elif what in ("states", "Sources", "Tables", "memory", "timeouts", "all"):
        pass
    else:
        raise Fail("pfctl: Unknown show modifier '%s'" % what)


# --------------------------------------------------------------------------------------------
# rctl, cpuset
# --------------------------------------------------------------------------------------------

def bytes_amount(text):
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
    if text and text[-1].lower() in units and text[:-1].isdigit():
        return str(int(text[:-1]) * units[text[-1].lower()])
    return text


def rule_matches(rule, filter_text):
    parts = rule.split("=")[0].split(":")
    wanted = filter_text.split("=")[0].split(":")
    return all(w == "" or (i < len(parts) and parts[i] == w) for i, w in enumerate(wanted))


DEFAULT_USAGE = {"cputime": "0", "datasize": "0", "stacksize": "0", "coredumpsize": "0",
                 "memoryuse": "1048576", "memorylocked": "0", "maxproc": "1", "openfiles": "8",
                 "vmemoryuse": "4194304", "pseudoterminals": "0", "swapuse": "0", "nthr": "1",
                 "msgqqueued": "0", "msgqsize": "0", "nmsgq": "0", "nsem": "0", "nsemop": "0",
                 "nshm": "0", "shmsize": "0", "wallclock": "1", "pcpu": "0", "readbps": "0",
                 "writebps": "0", "readiops": "0", "writeiops": "0"}


def cmd_rctl(state, args):
    rules = state["rctl"]
    if not args:
        for rule in rules:
            out(rule)
        return 0
    flag, rest = args[0], args[1:]
    if flag == "-a":
        for rule in rest:
            head, eq, amount = rule.partition("=")
            if not eq or len(head.split(":")) != 4:
                raise Fail("rctl: failed to add rule '%s': Invalid argument" % rule)
            normalized = head + "=" + bytes_amount(amount)
            rules[:] = [r for r in rules if r.split("=")[0] != head]
            rules.append(normalized)
        return 0
    if flag == "-r":
        for filter_text in rest:
            rules[:] = [r for r in rules if not rule_matches(r, filter_text)]
        return 0
    if flag == "-u":
        for subject in rest:
            kind, _, name = subject.partition(":")
            if kind == "jail" and find_jail(state, name) is None:
                raise Fail("rctl: failed to show resource consumption for '%s': No such process"
                           % subject)
            usage = dict(DEFAULT_USAGE)
            for line in (read_optional("rctl_usage") or "").splitlines():
                words = line.split()
                if len(words) == 2 and words[0] == name and "=" in words[1]:
                    key, _, value = words[1].partition("=")
                    usage[key] = value
            for key, value in usage.items():
                out("%s=%s" % (key, value))
        return 0
    if flag in ("-l", "-h", "-n"):
        return cmd_rctl(state, rest)
    for rule in rules:
        if any(rule_matches(rule, f) for f in args):
            out(rule)
    return 0


def jail_by_jid(state, jid):
    for jail in state["jails"].values():
        if str(jail["jid"]) == jid:
            return jail
    raise Fail("cpuset: jail %s: No such process" % jid)


def expand_cpus(text):
    cpus = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        cpus.extend(range(int(low), int(high or low) + 1))
    return cpus


def cmd_cpuset(state, args):
    get, cpus, jid, i = False, None, None, 0
    while i < len(args):
        a = args[i]
        if a in ("-l", "-j"):
            if a == "-l":
                cpus = args[i + 1]
            else:
                jid = args[i + 1]
            i += 2
            continue
        get = get or a == "-g"
        i += 1
    if jid is None:
        raise Fail("cpuset: fakebsd supports only -j", 1)
    jail_by_jid(state, jid)
    if get:
        chosen = state["cpusets"].get(jid, "0-%d" % (int(state["sysctl"]["hw.ncpu"]) - 1))
        out("jail %s mask: %s" % (jid, ", ".join(str(c) for c in expand_cpus(chosen))))
        return 0
    if cpus is None:
        raise Fail("usage: cpuset [-l cpu-list] -j jail", 1)
    expand_cpus(cpus)
    state["cpusets"][jid] = cpus
    return 0


# --------------------------------------------------------------------------------------------
# mounts
# --------------------------------------------------------------------------------------------

def add_mount(state, fs_type, source, target, options, command):
    target = os.path.normpath(target)
    if not os.path.isdir(target):
        raise Fail("%s: %s: No such file or directory" % (command, target))
    state["mounts"].append({"type": fs_type, "source": source, "target": target,
                            "options": options})
    return 0


def cmd_mount_nullfs(state, args):
    options, words, i = [], [], 0
    while i < len(args):
        if args[i] == "-o":
            options.extend(args[i + 1].split(","))
            i += 2
            continue
        words.append(args[i])
        i += 1
    if len(words) != 2:
        raise Fail("usage: mount_nullfs [-o options] target mount-point", 1)
    source = os.path.normpath(words[0])
    if not os.path.isdir(source):
        raise Fail("mount_nullfs: %s: No such file or directory" % source)
    return add_mount(state, "nullfs", source, words[1], options, "mount_nullfs")


def mount_table(state):
    z = Zfs(state)
    table = []
    for name in sorted(z.datasets, key=lambda n: n.split("/")):
        mp = z.mountpoint(name)
        if mp:
            table.append({"type": "zfs", "source": name, "target": mp, "options": ["rw"]})
    return table + state["mounts"]


def cmd_mount(state, args):
    fs_type, options, words, fstab_style, i = None, [], [], False, 0
    while i < len(args):
        a = args[i]
        if a in ("-t", "-o"):
            if a == "-t":
                fs_type = args[i + 1]
            else:
                options.extend(args[i + 1].split(","))
            i += 2
            continue
        if a.startswith("-"):
            fstab_style = fstab_style or "p" in a
        else:
            words.append(a)
        i += 1
    if not words:
        for m in mount_table(state):
            if fstab_style:
                out("%s\t\t%s\t%s\t%s\t0 0" % (m["source"], m["target"], m["type"],
                                               ",".join(m["options"] or ["rw"])))
            else:
                out("%s on %s (%s%s)" % (m["source"], m["target"], m["type"],
                                         "".join(", " + o for o in m["options"])))
        return 0
    if fs_type is None or len(words) != 2:
        raise Fail("usage: mount -t fstype [-o options] special node (fakebsd)", 1)
    if fs_type == "nullfs":
        return cmd_mount_nullfs(state, ["-o", ",".join(options)] + words if options else words)
    return add_mount(state, fs_type, words[0], words[1], options, "mount")


def cmd_umount(state, args):
    targets = [a for a in args if not a.startswith("-")]
    if not targets:
        raise Fail("usage: umount [-f] special | node", 1)
    for target in targets:
        target = os.path.normpath(target)
        mounts = state["mounts"]
        found = [i for i, m in enumerate(mounts) if m["target"] == target]
        if found:
            del mounts[found[-1]]
            continue
        z = Zfs(state)
        datasets = [n for n in z.datasets if z.mountpoint(n) == target]
        if datasets:
            z.datasets[datasets[0]]["mounted"] = False
            continue
        raise Fail("umount: %s: not a file system root directory" % target)
    return 0


# --------------------------------------------------------------------------------------------
# sysctl and the commands that are only recorded
# --------------------------------------------------------------------------------------------

def cmd_sysctl(state, args):
    values = state["sysctl"]
    names_only = "-n" in args
    code = 0
    for word in (a for a in args if not a.startswith("-")):
        name, eq, value = word.partition("=")
        if name not in values:
            STDERR.write("sysctl: unknown oid '%s'\n" % name)
            code = 1
            continue
        if eq:
            old, values[name] = values[name], value
            out("%s: %s -> %s" % (name, old, value))
        elif names_only:
            out(values[name])
        else:
            out("%s: %s" % (name, values[name]))
    return code


def read_input_file(name, default):
    """Lines of a file the test may write into the state directory, else `default`."""
    try:
        with open(state_path(name)) as f:
            return [line.split() for line in f if line.strip()]
    except FileNotFoundError:
        return default


def cmd_route(state, args):
    """`route -n get -inet|-inet6 default` from `default_route` (`IF GATEWAY` per family line:
    `inet em0 10.0.2.2`); `route add|delete ...` is recorded (a jail's own routes)."""
    if args[:1] in (["add"], ["delete"]):
        return 0
    words = [a for a in args if a != "-n"]
    if words[:1] != ["get"]:
        raise Fail("route: unsupported arguments: %s" % " ".join(args), 64)
    family = "inet6" if "-inet6" in words else "inet"
    for entry in read_input_file("default_route", [["inet", "em0", "10.0.2.2"]]):
        if len(entry) >= 3 and entry[0] == family:
            out("   route to: default\ndestination: default\n       mask: default\n"
                "    gateway: %s\n        fib: 0\n  interface: %s\n      flags: <UP,GATEWAY,DONE,STATIC>"
                % (entry[2], entry[1]))
            return 0
    raise Fail("route: route has not been found", 1)


def cmd_sockstat(state, args):
    """`sockstat -46l [-P PROTO] [-p PORT]`: the header, and a line per socket listed in
    `listening` (`tcp 8080` lines)."""
    protocol = args[args.index("-P") + 1] if "-P" in args else None
    port = args[args.index("-p") + 1] if "-p" in args else None
    out("USER     COMMAND    PID   FD  PROTO  LOCAL ADDRESS         FOREIGN ADDRESS")
    for entry in read_input_file("listening", []):
        if len(entry) < 2 or (protocol and entry[0] != protocol) or (port and entry[1] != port):
            continue
        out("root     daemon     100   3   %s4   *:%s                  *:*" % (entry[0], entry[1]))
    return 0


def cmd_sysrc(state, args):
    """`sysrc -n pf_rules` answers the test's own pf.conf ($FAKEBSD_STATE/pf.conf), so that
    `pot init` never edits the host's; anything else is recorded only."""
    if args == ["-n", "pf_rules"]:
        out(state_path("pf.conf"))
    return 0


def cmd_recorded(state, args):
    return 0


COMMANDS = {
    "zfs": cmd_zfs, "jail": cmd_jail, "jexec": cmd_jexec, "jls": cmd_jls,
    "ifconfig": cmd_ifconfig, "pfctl": cmd_pfctl, "rctl": cmd_rctl, "cpuset": cmd_cpuset,
    "mount_nullfs": cmd_mount_nullfs, "mount": cmd_mount, "umount": cmd_umount,
    "sysctl": cmd_sysctl, "kldload": cmd_recorded, "sysrc": cmd_sysrc,
    "service": cmd_recorded, "route": cmd_route, "sockstat": cmd_sockstat,
}


# --------------------------------------------------------------------------------------------
# main: lock, log, maybe fail, act, save
# --------------------------------------------------------------------------------------------

def main():
    global STATE_DIR, SPOOL
    argv = sys.argv
    name = os.path.basename(argv[0])
    args = argv[1:]
    if name not in COMMANDS:
        if not args:
            STDERR.write("usage: fakebsd.py COMMAND [ARG...]\n")
            return 2
        name, args = args[0], args[1:]
    if name not in COMMANDS:
        STDERR.write("fakebsd: unknown command %s\n" % name)
        return 2
    STATE_DIR = os.environ.get("FAKEBSD_STATE", "")
    if not STATE_DIR or not os.path.isdir(STATE_DIR):
        STDERR.write("%s (fakebsd): FAKEBSD_STATE must name an existing directory\n" % name)
        return 2
    if name == "zfs" and args[:1] in (["receive"], ["recv"]):
        SPOOL = spool_stream()
    result = None
    lock = os.open(state_path("lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with open(state_path("calls.log"), "a") as log:
            log.write(json.dumps([name] + args) + "\n")
        failure = injected_failure([name] + args)
        if failure is not None and failure[0] == KILL_CALLER:
            return kill_caller()
        if failure is not None:
            STDERR.write(failure[1] + "\n")
            return failure[0]
        state = load_state()
        try:
            result = COMMANDS[name](state, args)
        except Fail as e:
            STDERR.write(str(e) + "\n")
            return e.code
        save_state(state)
    finally:
        os.close(lock)
        if SPOOL:
            os.unlink(SPOOL)
    if isinstance(result, tuple) and result[0] == "send":
        # Streamed after the lock is released: the reader may be a `zfs receive` that needs it.
        write_stream(result[1], result[2])
        return 0
    if isinstance(result, tuple) and result[0] == "exec":
        _, path, command, jail_name = result
        if os.path.isdir(path):
            os.chdir(path)
        # The fakes a command in the jail runs (ifconfig, route) see the jail's interfaces.
        os.environ["FAKEBSD_JAIL"] = jail_name
        sys.stdout.flush()
        try:
            os.execvp(command[0], command)
        except OSError as e:
            STDERR.write("jexec: execvp: %s: %s\n" % (command[0], e.strerror))
            return 127 if isinstance(e, FileNotFoundError) else 126
    return result


if __name__ == "__main__":
    sys.exit(main())
