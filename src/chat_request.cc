// /chat request validation with RapidJSON (UTF-8 validated while parsing).
#include "resume_chat/chat_request.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <cctype>

#include "resume_chat/utf8.h"

namespace resume_chat {
namespace {

ChatRequestParse refuse(int status, std::string error) {
  ChatRequestParse result;
  result.status = status;
  result.error = std::move(error);
  return result;
}

bool is_blank(const std::string& text) {
  return text.find_first_not_of(" \t\r\n\v\f") == std::string::npos;
}

// Tabs and line breaks are text; other C0 controls and DEL are not (PostgreSQL also cannot
// store NUL in TEXT).
bool has_control_characters(const std::string& text) {
  for (unsigned char c : text) {
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) return true;
  }
  return false;
}

std::optional<std::string> string_field(const rapidjson::Value& object, const char* name) {
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsString()) return std::nullopt;
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace

bool is_json_content_type(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  if (media.size() != 16) return false;
  for (size_t i = 0; i < media.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(media[i])) != "application/json"[i]) return false;
  }
  return true;
}

ChatRequestParse parse_chat_request(std::string_view content_type, std::string_view body,
                                    int max_chars) {
  if (!is_json_content_type(content_type)) {
    return refuse(415, "Error: Send the message as JSON (Content-Type: application/json).");
  }
  if (!is_valid_utf8(body)) return refuse(400, "Error: The request is not valid UTF-8.");
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return refuse(400, "Error: The request body must be a JSON object.");
  }
  auto session = string_field(doc, "session");
  auto message = string_field(doc, "message");
  if (!session || session->empty()) {
    return refuse(400, "Error: The request has no session. Reload the page.");
  }
  if (!message) return refuse(400, "Error: The request has no message text.");
  if (!is_valid_utf8(*message)) return refuse(400, "Error: The message is not valid UTF-8.");
  if (is_blank(*message)) return refuse(400, "Error: Please type a message.");
  if (has_control_characters(*message)) {
    return refuse(400, "Error: The message contains control characters that cannot be sent.");
  }
  if (utf8_length(*message) > static_cast<size_t>(max_chars)) {
    return refuse(413, "Error: The message is too long (at most " + std::to_string(max_chars) +
                           " characters).");
  }
  auto regenerate = doc.FindMember("regenerate");
  if (regenerate != doc.MemberEnd() && !regenerate->value.IsBool()) {
    return refuse(400, "Error: \"regenerate\" must be true or false.");
  }
  ChatRequestParse result;
  result.request = ChatRequest{std::move(*session), std::move(*message),
                               regenerate != doc.MemberEnd() && regenerate->value.GetBool()};
  return result;
}

}  // namespace resume_chat
