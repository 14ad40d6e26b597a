// The schemas Nomad decodes configuration against (hclspec): the plugin's own block in the
// client config, and a task's `config` block. Nomad checks a job file against the task
// schema before it reaches us, so a wrong attribute name is caught at `nomad job run`.
#pragma once

#include "nomad/proto/hclspec.pb.h"

namespace pot::nomad {

namespace hclspec = hashicorp::nomad::plugins::shared::hclspec;

hclspec::Spec plugin_config_spec();
hclspec::Spec task_config_spec();

}  // namespace pot::nomad
