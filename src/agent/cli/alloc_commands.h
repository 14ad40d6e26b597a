// `potd alloc status|logs|stop|restart|signal|exec`. An allocation is named by its ID or
// a prefix of it (at least two characters), as in Nomad; an ambiguous prefix lists the
// candidates. The format_* functions build Nomad's layouts from the agent's documents.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pot::agent {

using Json = nlohmann::ordered_json;

// `potd alloc status [-json] [-verbose] ALLOC`
int alloc_status(const std::vector<std::string>& args);
// `potd alloc logs [-stderr] [-f] [-tail] [-n LINES] [-c BYTES] [-task T] ALLOC [TASK]`
int alloc_logs(const std::vector<std::string>& args);
// `potd alloc stop [-detach] [-verbose] ALLOC`
int alloc_stop(const std::vector<std::string>& args);
// `potd alloc restart [-task T] [-all-tasks] ALLOC [TASK]`
int alloc_restart(const std::vector<std::string>& args);
// `potd alloc signal [-s SIGNAL] [-task T] ALLOC [TASK]`
int alloc_signal(const std::vector<std::string>& args);
// `potd alloc exec [-task T] [-i] [-t] ALLOC CMD [ARG]...`: runs `pot exec` (root only).
int alloc_exec(const std::vector<std::string>& args);

// --- Layouts -----------------------------------------------------------------------

// The whole `alloc status` text: header, the service checks (`checks`, as
// /v1/client/allocation/:id/checks gives them; none when null or empty), then per task its
// resources and events.
std::string format_alloc_status(const Json& alloc, int64_t now_nanos, bool verbose,
                                const Json& checks = Json());

// Nomad's "Nomad Service Checks:" table of the allocation's checks: Service, Task ("(group)"
// for a group service's), Name, Mode, Status, and potd's Type and first line of Output;
// "" when there are none.
std::string format_alloc_checks(const Json& checks);

// The header block (ID, Eval ID, Name, Node ID, ... Created, Modified).
std::string format_alloc_header(const Json& alloc, int64_t now_nanos, bool verbose);

// Nomad's "Recent Events" table of one task state: Time, Type, Description, newest first.
std::string format_task_events(const Json& task_state);

// go-humanize's IBytes: "300 MiB", "1.5 GiB", "9 B".
std::string format_ibytes(uint64_t bytes);

// The task that a command without a task name means: the `requested` one, else the
// allocation's only task. Throws pot::Error listing the tasks when there are several.
std::string choose_task(const std::string& command, const Json& alloc,
                        const std::string& requested);

// The tasks of the allocation in Nomad's display order (prestart, main, poststart,
// poststop; by name within each).
std::vector<std::string> alloc_task_names(const Json& alloc);

// The path of the `pot` program `alloc exec` runs: the one beside `self_exe` when it is
// executable, else "pot" (looked up in PATH).
std::string pot_program(const std::string& self_exe);

}  // namespace pot::agent
