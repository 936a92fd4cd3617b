// Messages-API stream events → text, usage, outcome (RapidJSON, UTF-8 validated).
#include "resume_chat/claude_stream.h"

#include <rapidjson/document.h>

namespace resume_chat {
namespace {

using Json = rapidjson::Value;

const Json* member(const Json& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

std::string string_member(const Json& object, const char* name) {
  const Json* value = member(object, name);
  return value && value->IsString() ? std::string(value->GetString(), value->GetStringLength())
                                    : std::string();
}

// Cumulative counts: a field that is present replaces the earlier value.
void read_usage(const Json* usage, Usage& into) {
  if (usage == nullptr || !usage->IsObject()) return;
  auto take = [&](const char* name, long& field) {
    const Json* value = member(*usage, name);
    if (value && value->IsInt64()) field = static_cast<long>(value->GetInt64());
  };
  take("input_tokens", into.input_tokens);
  take("output_tokens", into.output_tokens);
  take("cache_creation_input_tokens", into.cache_creation_input_tokens);
  take("cache_read_input_tokens", into.cache_read_input_tokens);
}

bool parse(std::string_view text, rapidjson::Document& doc) {
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  return !doc.HasParseError() && doc.IsObject();
}

}  // namespace

ApiError parse_api_error(std::string_view json) {
  rapidjson::Document doc;
  if (!parse(json, doc)) return {};
  const Json* error = member(doc, "error");
  if (error == nullptr) return {};
  return {string_member(*error, "type"), string_member(*error, "message")};
}

bool ClaudeStream::on_event(const SseEvent& event) {
  if (event.type == "ping") return true;
  rapidjson::Document doc;
  const bool parsed = parse(event.data, doc);
  // The SDKs dispatch on the SSE event name; a nameless event falls back to its JSON type.
  std::string type = event.type;
  if (type == "message" && parsed) type = string_member(doc, "type");

  if (type == "error") {
    ApiError error = parsed ? parse_api_error(event.data) : ApiError{};
    if (error.type.empty()) error.type = "api_error";
    error_ = std::move(error);
    return false;
  }
  static const char* const kKnown[] = {"message_start", "content_block_start",
                                       "content_block_delta", "message_delta", "message_stop"};
  bool known = false;
  for (const char* name : kKnown) known = known || type == name;
  if (!known) return true;  // content_block_stop and future event types
  if (!parsed) {
    error_ = ApiError{"invalid_response", "malformed " + type + " event from the API"};
    return false;
  }
  if (type == "message_start") {
    if (const Json* message = member(doc, "message")) read_usage(member(*message, "usage"), usage_);
  } else if (type == "content_block_start") {
    const Json* index = member(doc, "index");
    const Json* block = member(doc, "content_block");
    if (index && index->IsInt64() && block) block_types_[index->GetInt64()] = string_member(*block, "type");
  } else if (type == "content_block_delta") {
    const Json* index = member(doc, "index");
    const Json* delta = member(doc, "delta");
    if (!index || !index->IsInt64() || !delta) return true;
    auto block = block_types_.find(index->GetInt64());
    if (block == block_types_.end() || block->second != "text") return true;
    if (string_member(*delta, "type") != "text_delta") return true;
    std::string text = string_member(*delta, "text");
    if (text.empty()) return true;
    if (!sink_(text)) return false;  // not shown to anyone, so not part of the reply
  } else if (type == "message_delta") {
    if (const Json* delta = member(doc, "delta")) {
      std::string reason = string_member(*delta, "stop_reason");
      if (!reason.empty()) stop_reason_ = reason;
    }
    read_usage(member(doc, "usage"), usage_);
  } else {  // message_stop
    complete_ = true;
  }
  return true;
}

}  // namespace resume_chat
