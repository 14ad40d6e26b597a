// The capability set a pot keeps: the 11 that podman grants by default. Everything else is
// dropped from the bounding, effective, permitted and ambient sets; inheritable is empty.
#pragma once

#include <vector>

namespace pot {

const std::vector<int>& pot_capabilities();
// The CapEff mask the pot's processes end up with (what /proc/self/status shows).
unsigned long long pot_capability_mask();

// Drops to pot_capabilities() in the calling process and sets no_new_privs. Call after all
// mounts are made and before exec.
void drop_capabilities();

}  // namespace pot
