#pragma once

namespace pot {
// Brings `lo` up in the calling process's network namespace.
void bring_up_loopback();
}  // namespace pot
