// A task's state as Nomad's API shows it (TaskState: State pending|running|dead, Failed,
// Restarts, LastRestart, StartedAt, FinishedAt, Events), and its events (TaskEvent: Type,
// Time in Unix ns, DisplayMessage, Details, and the typed fields clients read).
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

namespace pot::agent {

using Json = nlohmann::ordered_json;
using SystemTime = std::chrono::system_clock::time_point;

// Nomad's event types.
namespace task_event {
inline constexpr const char* kReceived = "Received";
inline constexpr const char* kSetup = "Task Setup";
inline constexpr const char* kDriverMessage = "Driver";
inline constexpr const char* kStarted = "Started";
inline constexpr const char* kTerminated = "Terminated";
inline constexpr const char* kRestarting = "Restarting";
inline constexpr const char* kNotRestarting = "Not Restarting";
inline constexpr const char* kKilling = "Killing";
inline constexpr const char* kKilled = "Killed";
inline constexpr const char* kDriverFailure = "Driver Failure";
inline constexpr const char* kRestartSignal = "Restart Signaled";
inline constexpr const char* kSignaling = "Signaling";
inline constexpr const char* kSiblingFailed = "Sibling Task Failed";
inline constexpr const char* kLeaderDead = "Leader Task Dead";
}  // namespace task_event

// A new task state: pending, no events.
Json new_task_state();

// An event of `type` at `when` with its display message; callers add typed fields
// (ExitCode, Signal, RestartReason, StartDelay, KillTimeout, DriverError, FailsTask) and
// Details.
Json make_task_event(const std::string& type, SystemTime when, const std::string& display);

// Appends to State.Events, keeping the newest 10 as Nomad's client does.
void append_task_event(Json& state, Json event);

// Go's time.Time in JSON (RFC 3339 with nanoseconds, UTC), and its zero value.
std::string go_time(SystemTime when);
inline constexpr const char* kGoZeroTime = "0001-01-01T00:00:00Z";
int64_t unix_nanos(SystemTime when);

}  // namespace pot::agent
