#include "image/manifest.h"

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "image/image_ref.h"

namespace pot::image {
namespace {

using Json = nlohmann::ordered_json;

[[noreturn]] void fail(const std::string& reason) {
  throw Error("manifest: " + reason);
}

const Json& field(const Json& object, const char* key, const std::string& where) {
  auto it = object.find(key);
  if (it == object.end()) fail(where + "no field `" + key + "`");
  return *it;
}

std::string string_field(const Json& object, const char* key, const std::string& where = "") {
  const Json& value = field(object, key, where);
  if (!value.is_string()) fail(where + "`" + key + "` is not a string");
  return value.get<std::string>();
}

uint64_t unsigned_field(const Json& object, const char* key, const std::string& where = "") {
  const Json& value = field(object, key, where);
  if (!value.is_number_unsigned()) fail(where + "`" + key + "` is not a non-negative integer");
  return value.get<uint64_t>();
}

int64_t integer_field(const Json& object, const char* key) {
  const Json& value = field(object, key, "");
  if (!value.is_number_integer() ||
      (value.is_number_unsigned() &&
       value.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())))
    fail(std::string("`") + key + "` is not an integer");
  return value.get<int64_t>();
}

// The settings become lines of pot.conf (`key=value`): a line break or a NUL would let an
// image write settings that are not in its manifest's list.
const char* setting_problem(const std::string& key, const std::string& value) {
  if (key.empty()) return "empty key";
  if (key.find('=') != std::string::npos) return "key contains `=`";
  for (const std::string* text : {&key, &value}) {
    if (text->find_first_of(std::string_view("\n\r\0", 3)) != std::string::npos)
      return "contains a line break or a NUL";
  }
  return nullptr;
}

constexpr const char* kTarPayload = "tar";
constexpr const char* kZfsSendPayload = "zfs-send";

}  // namespace

std::string Manifest::to_json() const {
  Json settings_json = Json::array();
  for (const auto& [key, value] : settings) settings_json.push_back(Json::array({key, value}));
  Json json = {{"format", kFormat},
               {"pot", pot},
               {"tag", tag},
               {"created", created},
               {"archive",
                {{"file", archive_file},
                 {"size", archive_size},
                 {"unpacked_size", unpacked_size},
                 {"entries", entries}}},
               {"settings", std::move(settings_json)}};
  // Only when not the default: a tar image's manifest stays what older pots wrote and read.
  if (payload == Payload::kZfsSend) json["payload"] = kZfsSendPayload;
  try {
    return json.dump(2) + "\n";
  } catch (const Json::exception&) {
    // dump refuses strings that are not UTF-8 (a pot.conf value may be anything).
    fail("a name or setting is not valid UTF-8");
  }
}

Manifest Manifest::parse(std::string_view text) {
  try {
    Json json = Json::parse(text);
    if (!json.is_object()) fail("not a JSON object");

    const Json& format = field(json, "format", "");
    if (!format.is_number()) fail("`format` is not a number");
    if (!format.is_number_unsigned() || format.get<uint64_t>() != kFormat)
      fail("format " + format.dump() + " is not supported (this pot reads format " +
           std::to_string(kFormat) + ")");

    Manifest manifest;
    manifest.pot = string_field(json, "pot");
    manifest.tag = string_field(json, "tag");
    ImageRef ref =
        with_context("manifest", [&] { return make_image_ref(manifest.pot, manifest.tag); });
    manifest.created = integer_field(json, "created");

    const Json& archive = field(json, "archive", "");
    if (!archive.is_object()) fail("`archive` is not an object");
    manifest.archive_file = string_field(archive, "file", "archive: ");
    if (manifest.archive_file != ref.archive_file())
      fail("archive file " + quote_name(manifest.archive_file) + " is not " +
           quote_name(ref.archive_file()));
    manifest.archive_size = unsigned_field(archive, "size", "archive: ");
    manifest.unpacked_size = unsigned_field(archive, "unpacked_size", "archive: ");
    manifest.entries = unsigned_field(archive, "entries", "archive: ");

    if (json.contains("payload")) {
      std::string payload = string_field(json, "payload");
      if (payload == kZfsSendPayload) {
        manifest.payload = Payload::kZfsSend;
      } else if (payload != kTarPayload) {
        fail("payload " + quote_name(payload) + " is not supported (this pot reads `" +
             kTarPayload + "` and `" + kZfsSendPayload + "`)");
      }
    }

    const Json& settings = field(json, "settings", "");
    if (!settings.is_array()) fail("`settings` is not an array");
    for (size_t i = 0; i < settings.size(); ++i) {
      const Json& pair = settings[i];
      std::string where = "setting " + std::to_string(i + 1) + ": ";
      if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string())
        fail(where + "not a [key, value] pair of strings");
      auto key = pair[0].get<std::string>();
      auto value = pair[1].get<std::string>();
      if (const char* problem = setting_problem(key, value)) fail(where + problem);
      manifest.settings.emplace_back(std::move(key), std::move(value));
    }
    return manifest;
  } catch (const Json::parse_error& e) {
    fail("not valid JSON (at byte " + std::to_string(e.byte) + ")");
  } catch (const Json::exception& e) {
    // The checks above leave nothing for the library to refuse; this keeps the promise that
    // only pot::Error escapes.
    fail(e.what());
  }
}

}  // namespace pot::image
