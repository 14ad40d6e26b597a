// Nomad's plan diff layout: a marker per line ("+" added, "-" deleted, "+/-" edited), field
// names padded so that their values line up, objects as `Name {` ... `}` blocks, each level
// indented by two, markers of one level padded to the widest so the names line up too.
#include <algorithm>
#include <string>

#include "agent/cli/doc_fields.h"
#include "agent/cli/job_commands.h"

namespace pot::agent {
namespace {

std::string marker_of(const std::string& type) {
  if (type == "Added") return "+ ";
  if (type == "Deleted") return "- ";
  if (type == "Edited") return "+/- ";
  return "";
}

std::string spaces(std::size_t count) {
  return std::string(count, ' ');
}

std::string annotations_of(const Json& doc) {
  const Json& annotations = field(doc, "Annotations");
  if (!annotations.is_array() || annotations.empty()) return "";
  std::string out;
  for (const Json& annotation : annotations) {
    if (!out.empty()) out += ", ";
    out += annotation.is_string() ? annotation.get<std::string>() : annotation.dump();
  }
  return out;
}

const Json& list_of(const Json& doc, const char* name) {
  static const Json kEmpty = Json::array();
  const Json& value = field(doc, name);
  return value.is_array() ? value : kEmpty;
}

struct Widths {
  std::size_t field = 0;
  std::size_t marker = 0;
};

Widths widths_of(const Json& fields, const Json& objects) {
  Widths widths;
  for (const Json& diff : fields) {
    widths.field = std::max(widths.field, text_of(diff, "Name").size());
    widths.marker = std::max(widths.marker, marker_of(text_of(diff, "Type")).size());
  }
  for (const Json& diff : objects) {
    widths.marker = std::max(widths.marker, marker_of(text_of(diff, "Type")).size());
  }
  return widths;
}

std::string fields_and_objects(const Json& fields, const Json& objects, std::size_t indent,
                               const Widths& widths);

std::string field_line(const Json& diff, std::size_t indent, const Widths& widths) {
  const std::string type = text_of(diff, "Type");
  const std::string marker = marker_of(type);
  const std::string name = text_of(diff, "Name");
  std::string out = spaces(indent) + marker + spaces(widths.marker - marker.size()) + name + ": " +
                    spaces(widths.field - name.size());
  if (type == "Deleted") {
    out += go_quote(text_of(diff, "Old"));
  } else if (type == "Edited") {
    out += go_quote(text_of(diff, "Old")) + " => " + go_quote(text_of(diff, "New"));
  } else {
    out += go_quote(text_of(diff, "New"));
  }
  if (std::string notes = annotations_of(diff); !notes.empty()) out += " (" + notes + ")";
  return out;
}

std::string object_block(const Json& diff, std::size_t indent, const Widths& widths) {
  const std::string marker = marker_of(text_of(diff, "Type"));
  const std::size_t pad = widths.marker - marker.size();
  std::string out = spaces(indent) + marker + spaces(pad) + text_of(diff, "Name") + " {\n";
  const Json& fields = list_of(diff, "Fields");
  const Json& objects = list_of(diff, "Objects");
  out += fields_and_objects(fields, objects, indent + pad + 2, widths_of(fields, objects));
  return out + "\n" + spaces(indent + marker.size() + pad) + "}";
}

std::string fields_and_objects(const Json& fields, const Json& objects, std::size_t indent,
                               const Widths& widths) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    out += field_line(fields[i], indent, widths);
    if (i + 1 != fields.size() || !objects.empty()) out += "\n";
  }
  for (std::size_t i = 0; i < objects.size(); ++i) {
    out += object_block(objects[i], indent, widths);
    if (i + 1 != objects.size()) out += "\n";
  }
  return out;
}

std::string task_diff(const Json& task, std::size_t indent, std::size_t pad, bool verbose) {
  const std::string type = text_of(task, "Type");
  std::string out =
      spaces(indent) + marker_of(type) + spaces(pad) + "Task: " + go_quote(text_of(task, "Name"));
  if (std::string notes = annotations_of(task); !notes.empty()) out += " (" + notes + ")";
  if (type == "None" || ((type == "Added" || type == "Deleted") && !verbose)) return out;
  const Json& fields = list_of(task, "Fields");
  const Json& objects = list_of(task, "Objects");
  return out + "\n" + fields_and_objects(fields, objects, indent + 2, widths_of(fields, objects));
}

std::string group_diff(const Json& group, std::size_t pad, bool verbose) {
  const std::string type = text_of(group, "Type");
  std::string out =
      marker_of(type) + spaces(pad) + "Task Group: " + go_quote(text_of(group, "Name"));
  const Json& updates = field(group, "Updates");
  if (updates.is_object() && !updates.empty()) {
    std::vector<std::string> kinds;
    for (const auto& [kind, count] : updates.items()) kinds.push_back(kind);
    std::sort(kinds.begin(), kinds.end());
    std::string list;
    for (const std::string& kind : kinds) {
      if (!list.empty()) list += ", ";
      list += std::to_string(int_of(updates, kind.c_str())) + " " + kind;
    }
    out += " (" + list + ")";
  }
  out += "\n";

  const Json& fields = list_of(group, "Fields");
  const Json& objects = list_of(group, "Objects");
  Widths widths = widths_of(fields, objects);
  for (const Json& task : list_of(group, "Tasks")) {
    widths.marker = std::max(widths.marker, marker_of(text_of(task, "Type")).size());
  }
  const std::size_t indent = pad + 2;
  if (type == "Edited" || verbose) {
    std::string lines = fields_and_objects(fields, objects, indent, widths);
    if (!lines.empty()) out += lines + "\n";
  }
  for (const Json& task : list_of(group, "Tasks")) {
    std::size_t task_pad = widths.marker - marker_of(text_of(task, "Type")).size();
    out += task_diff(task, indent, task_pad, verbose) + "\n";
  }
  return out;
}

}  // namespace

std::string format_job_diff(const Json& diff, bool verbose) {
  const std::string type = text_of(diff, "Type");
  std::string out = marker_of(type) + "Job: " + go_quote(text_of(diff, "ID")) + "\n";
  const Json& fields = list_of(diff, "Fields");
  const Json& objects = list_of(diff, "Objects");
  Widths widths = widths_of(fields, objects);
  for (const Json& group : list_of(diff, "TaskGroups")) {
    widths.marker = std::max(widths.marker, marker_of(text_of(group, "Type")).size());
  }
  if (type == "Edited" || verbose) {
    std::string lines = fields_and_objects(fields, objects, 0, widths);
    if (!lines.empty()) out += lines + "\n";
  }
  for (const Json& group : list_of(diff, "TaskGroups")) {
    std::size_t pad = widths.marker - marker_of(text_of(group, "Type")).size();
    out += group_diff(group, pad, verbose) + "\n";
  }
  return out;
}

}  // namespace pot::agent
