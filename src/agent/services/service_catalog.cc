#include "agent/services/service_catalog.h"

#include <algorithm>

namespace pot::agent {

const char* check_status_name(CheckStatus status) {
  switch (status) {
    case CheckStatus::kPassing:
      return "passing";
    case CheckStatus::kWarning:
      return "warning";
    case CheckStatus::kCritical:
      return "critical";
  }
  return "critical";
}

std::optional<CheckStatus> parse_check_status(const std::string& name) {
  if (name == "passing") return CheckStatus::kPassing;
  if (name == "warning") return CheckStatus::kWarning;
  if (name == "critical") return CheckStatus::kCritical;
  return std::nullopt;
}

ServiceCatalog::ServiceCatalog(CatalogNode node) : node_(std::move(node)) {}

uint64_t ServiceCatalog::bump_locked() {
  ++index_;
  index_changed_.notify_all();
  return index_;
}

// Every change takes observers_mutex_ first and keeps it while observers run, so observers
// see the changes in the order they were made. (They must not change the catalog.)
void ServiceCatalog::register_instance(ServiceInstance instance,
                                       std::vector<CheckDefinition> checks) {
  std::lock_guard order(observers_mutex_);
  std::vector<CatalogEvent> events;
  {
    std::lock_guard lock(mutex_);
    uint64_t index = bump_locked();
    auto existing = instances_.find(instance.id);
    instance.create_index = existing == instances_.end() ? index : existing->second.create_index;
    instance.modify_index = index;
    const std::string id = instance.id;
    instances_[id] = std::move(instance);
    events.push_back({CatalogEvent::Kind::kInstanceRegistered, id, "", CheckStatus::kPassing});

    std::map<std::string, bool> listed;
    for (auto& definition : checks) {
      definition.instance_id = id;
      listed[definition.id] = true;
      auto it = checks_.find(definition.id);
      if (it != checks_.end()) {
        it->second.definition = std::move(definition);
        it->second.modify_index = index;
        continue;
      }
      CheckState state;
      state.status = definition.initial_status;
      state.create_index = state.modify_index = index;
      const std::string check_id = definition.id;
      state.definition = std::move(definition);
      events.push_back({CatalogEvent::Kind::kCheckAdded, id, check_id, state.status});
      checks_[check_id] = std::move(state);
    }
    for (auto it = checks_.begin(); it != checks_.end();) {
      if (it->second.definition.instance_id == id && !listed.count(it->first)) {
        events.push_back({CatalogEvent::Kind::kCheckRemoved, id, it->first, it->second.status});
        it = checks_.erase(it);
      } else {
        ++it;
      }
    }
  }
  notify(events);
}

bool ServiceCatalog::deregister_instance(const std::string& instance_id) {
  std::lock_guard order(observers_mutex_);
  std::vector<CatalogEvent> events;
  {
    std::lock_guard lock(mutex_);
    if (!instances_.erase(instance_id)) return false;
    for (auto it = checks_.begin(); it != checks_.end();) {
      if (it->second.definition.instance_id == instance_id) {
        events.push_back(
            {CatalogEvent::Kind::kCheckRemoved, instance_id, it->first, it->second.status});
        it = checks_.erase(it);
      } else {
        ++it;
      }
    }
    events.push_back(
        {CatalogEvent::Kind::kInstanceDeregistered, instance_id, "", CheckStatus::kCritical});
    bump_locked();
  }
  notify(events);
  return true;
}

void ServiceCatalog::deregister_alloc(const std::string& alloc_id, const std::string& task) {
  if (alloc_id.empty()) return;
  for (const auto& instance : instances_of_alloc(alloc_id))
    if (task.empty() || instance.task == task) deregister_instance(instance.id);
}

bool ServiceCatalog::update_check(const std::string& check_id, CheckStatus status,
                                  const std::string& output) {
  std::lock_guard order(observers_mutex_);
  CatalogEvent event{CatalogEvent::Kind::kCheckResult, "", check_id, status};
  {
    std::lock_guard lock(mutex_);
    auto it = checks_.find(check_id);
    if (it == checks_.end()) return false;
    event.instance_id = it->second.definition.instance_id;
    // Only a change of status moves the index: an output that changes on every run (a
    // timestamp in a page) would wake every blocking query each interval. Consul defers
    // such output-only updates too; the new output is there for the next read.
    it->second.output = output;
    if (it->second.status != status) {
      it->second.status = status;
      it->second.modify_index = bump_locked();
    }
  }
  notify({event});
  return true;
}

std::vector<ServiceInstance> ServiceCatalog::instances() const {
  std::lock_guard lock(mutex_);
  std::vector<ServiceInstance> all;
  for (const auto& [id, instance] : instances_) all.push_back(instance);
  return all;
}

std::vector<ServiceInstance> ServiceCatalog::instances_named(const std::string& name) const {
  std::lock_guard lock(mutex_);
  std::vector<ServiceInstance> found;
  for (const auto& [id, instance] : instances_)
    if (instance.name == name) found.push_back(instance);
  return found;
}

std::vector<ServiceInstance> ServiceCatalog::instances_of_alloc(const std::string& alloc_id) const {
  std::lock_guard lock(mutex_);
  std::vector<ServiceInstance> found;
  for (const auto& [id, instance] : instances_)
    if (instance.alloc_id == alloc_id) found.push_back(instance);
  return found;
}

std::optional<ServiceInstance> ServiceCatalog::instance(const std::string& instance_id) const {
  std::lock_guard lock(mutex_);
  auto it = instances_.find(instance_id);
  if (it == instances_.end()) return std::nullopt;
  return it->second;
}

std::vector<CheckState> ServiceCatalog::checks() const {
  std::lock_guard lock(mutex_);
  std::vector<CheckState> all;
  for (const auto& [id, state] : checks_) all.push_back(state);
  return all;
}

std::vector<CheckState> ServiceCatalog::checks_of(const std::string& instance_id) const {
  std::lock_guard lock(mutex_);
  std::vector<CheckState> found;
  for (const auto& [id, state] : checks_)
    if (state.definition.instance_id == instance_id) found.push_back(state);
  return found;
}

std::optional<CheckState> ServiceCatalog::check(const std::string& check_id) const {
  std::lock_guard lock(mutex_);
  auto it = checks_.find(check_id);
  if (it == checks_.end()) return std::nullopt;
  return it->second;
}

CheckStatus ServiceCatalog::aggregate_status(const std::string& instance_id) const {
  std::lock_guard lock(mutex_);
  CheckStatus worst = CheckStatus::kPassing;
  for (const auto& [id, state] : checks_)
    if (state.definition.instance_id == instance_id)
      worst = std::max(worst, state.status);  // the enum is ordered best to worst
  return worst;
}

uint64_t ServiceCatalog::index() const {
  std::lock_guard lock(mutex_);
  return index_;
}

uint64_t ServiceCatalog::wait_for_index(uint64_t after, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  index_changed_.wait_for(lock, timeout, [&] { return index_ > after || woken_; });
  return index_;
}

void ServiceCatalog::wake_all() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  index_changed_.notify_all();
}

int ServiceCatalog::subscribe(Observer observer) {
  std::lock_guard lock(observers_mutex_);
  int id = next_subscription_++;
  observers_[id] = std::move(observer);
  return id;
}

void ServiceCatalog::unsubscribe(int subscription) {
  std::lock_guard lock(observers_mutex_);
  observers_.erase(subscription);
}

// Called with observers_mutex_ held.
void ServiceCatalog::notify(const std::vector<CatalogEvent>& events) {
  for (const auto& event : events)
    for (const auto& [id, observer] : observers_) observer(event);
}

}  // namespace pot::agent
