#include "nomad/cty_value.h"

#include <msgpack.hpp>

#include <cmath>
#include <limits>
#include <new>

#include "core/error.h"

namespace pot::nomad {

namespace {

// Bounds on what a configuration may hold. A job's config block is a few kilobytes; these
// stop a hostile or broken peer from making the decoder recurse or allocate without end.
constexpr size_t kMaxDepth = 32;
constexpr size_t kMaxElements = 1 << 16;  // per array or map
constexpr size_t kMaxBytes = 1 << 20;     // per string, and the whole input (x16)

// cty's extension type for a value not yet known, and the one byte of data it carries.
constexpr int8_t kUnknownExtType = 0;

CtyValue from_object(const msgpack::object& object) {
  switch (object.type) {
    case msgpack::type::NIL:
      return CtyValue();
    case msgpack::type::BOOLEAN:
      return CtyValue(object.via.boolean);
    case msgpack::type::POSITIVE_INTEGER:
      if (object.via.u64 > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        return CtyValue(static_cast<double>(object.via.u64));
      return CtyValue(static_cast<int64_t>(object.via.u64));
    case msgpack::type::NEGATIVE_INTEGER:
      return CtyValue(object.via.i64);
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      if (!std::isfinite(object.via.f64)) throw Error("cty msgpack: a number is not finite");
      return CtyValue(object.via.f64);
    case msgpack::type::STR:
      return CtyValue(std::string(object.via.str.ptr, object.via.str.size));
    case msgpack::type::ARRAY: {
      CtyValue::List list;
      list.reserve(object.via.array.size);
      for (uint32_t i = 0; i < object.via.array.size; ++i)
        list.push_back(from_object(object.via.array.ptr[i]));
      return CtyValue(std::move(list));
    }
    case msgpack::type::MAP: {
      CtyValue::Map map;
      for (uint32_t i = 0; i < object.via.map.size; ++i) {
        const msgpack::object_kv& entry = object.via.map.ptr[i];
        if (entry.key.type != msgpack::type::STR)
          throw Error("cty msgpack: a map key is not a string");
        std::string key(entry.key.via.str.ptr, entry.key.via.str.size);
        if (!map.try_emplace(key, from_object(entry.val)).second)
          throw Error("cty msgpack: map key `" + key + "` appears twice");
      }
      return CtyValue(std::move(map));
    }
    case msgpack::type::EXT:
      if (object.via.ext.type() == kUnknownExtType) return CtyValue(CtyValue::Unknown{});
      throw Error("cty msgpack: extension type " + std::to_string(object.via.ext.type()) +
                  " is not one cty uses");
    case msgpack::type::BIN:
      throw Error("cty msgpack: binary data is not a cty value");
  }
  throw Error("cty msgpack: unknown msgpack type");
}

void pack(msgpack::packer<msgpack::sbuffer>& out, const CtyValue& value) {
  if (value.is_null()) {
    out.pack_nil();
  } else if (value.is_unknown()) {
    const char zero = 0;
    out.pack_ext(1, kUnknownExtType);
    out.pack_ext_body(&zero, 1);
  } else if (const bool* flag = value.if_bool()) {
    out.pack(*flag);
  } else if (const CtyValue::Number* number = value.if_number()) {
    std::visit([&](auto n) { out.pack(n); }, *number);
  } else if (const std::string* text = value.if_string()) {
    out.pack(*text);
  } else if (const CtyValue::List* list = value.if_list()) {
    out.pack_array(static_cast<uint32_t>(list->size()));
    for (const CtyValue& element : *list) pack(out, element);
  } else if (const CtyValue::Map* map = value.if_map()) {
    out.pack_map(static_cast<uint32_t>(map->size()));
    for (const auto& [key, element] : *map) {  // std::map: sorted, as cty writes objects
      out.pack(key);
      pack(out, element);
    }
  }
}

}  // namespace

CtyValue::Number CtyValue::exact_number(double value) {
  // [-2^63, 2^63): the doubles that convert to int64 without overflow.
  constexpr double kLimit = 9223372036854775808.0;
  if (value >= -kLimit && value < kLimit && std::trunc(value) == value)
    return static_cast<int64_t>(value);
  return value;
}

std::string_view CtyValue::kind_name() const {
  if (is_null()) return "null";
  if (is_unknown()) return "an unknown value";
  if (if_bool()) return "a bool";
  if (if_number()) return "a number";
  if (if_string()) return "a string";
  if (if_list()) return "a list";
  return "a map";
}

CtyValue decode_cty_msgpack(std::string_view bytes) {
  if (bytes.empty()) throw Error("cty msgpack: empty input");
  if (bytes.size() > 16 * kMaxBytes) throw Error("cty msgpack: larger than 16 MiB");
  const msgpack::unpack_limit limits(kMaxElements, kMaxElements, kMaxBytes, kMaxBytes, kMaxBytes,
                                     kMaxDepth);
  size_t offset = 0;
  msgpack::object_handle handle;
  try {
    handle = msgpack::unpack(bytes.data(), bytes.size(), offset, nullptr, nullptr, limits);
  } catch (const msgpack::depth_size_overflow&) {
    throw Error("cty msgpack: nested deeper than " + std::to_string(kMaxDepth));
  } catch (const msgpack::size_overflow&) {
    throw Error("cty msgpack: an array, map or string is larger than allowed");
  } catch (const msgpack::insufficient_bytes&) {
    throw Error("cty msgpack: the input ends inside a value");
  } catch (const msgpack::unpack_error& e) {
    throw Error(std::string("cty msgpack: ") + e.what());
  }
  if (offset != bytes.size())
    throw Error("cty msgpack: " + std::to_string(bytes.size() - offset) + " bytes after the value");
  return from_object(handle.get());
}

std::string encode_cty_msgpack(const CtyValue& value) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> out(buffer);
  pack(out, value);
  return std::string(buffer.data(), buffer.size());
}

}  // namespace pot::nomad
