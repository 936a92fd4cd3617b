// /chat request validation: RapidJSON's SAX reader, iterative (no recursion, whatever the
// nesting) with UTF-8 validated while parsing, and a handler that caps the depth, refuses
// repeated keys and keeps only the two top-level strings it needs. No DOM is built.
#include "resume_chat/chat_request.h"

#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <set>
#include <vector>

#include "resume_chat/text.h"
#include "resume_chat/utf8.h"

namespace resume_chat {
namespace {

ChatRequestParse refuse(int status, std::string error) {
  ChatRequestParse result;
  result.status = status;
  result.error = std::move(error);
  return result;
}

// Tabs and line breaks are text; other C0 controls and DEL are not (PostgreSQL also cannot
// store NUL in TEXT).
bool has_control_characters(const std::string& text) {
  for (unsigned char c : text) {
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) return true;
  }
  return false;
}

// What the handler found, or why it stopped.
enum class BodyProblem { kNone, kNotObject, kTooDeep, kRepeatedKey };

// SAX handler for the body. `depth_` counts open objects and arrays; each open object keeps
// the keys it has seen, so a repeated key at any depth stops the parse (a DOM would keep
// both, and which one counts would be an accident). The values of the top-level "session"
// and "message" keys are kept when they are strings, and "regenerate" when it is a boolean.
class BodyHandler : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, BodyHandler> {
 public:
  bool Default() {
    not_a_boolean();
    return depth_ > 0 || stop(BodyProblem::kNotObject);
  }
  bool Bool(bool value) {
    if (depth_ == 1 && regenerate_key_) regenerate = value;
    return depth_ > 0 || stop(BodyProblem::kNotObject);
  }
  bool String(const char* text, rapidjson::SizeType length, bool) {
    if (depth_ == 0) return stop(BodyProblem::kNotObject);
    not_a_boolean();
    if (depth_ == 1 && target_ != nullptr) *target_ = std::string(text, length);
    return true;
  }
  bool StartObject() {
    not_a_boolean();
    if (!open()) return false;
    keys_.emplace_back();
    return true;
  }
  bool Key(const char* text, rapidjson::SizeType length, bool) {
    std::string key(text, length);
    target_ = depth_ != 1          ? nullptr
              : key == "session" ? &session
              : key == "message" ? &message
                                 : nullptr;
    regenerate_key_ = depth_ == 1 && key == "regenerate";
    return keys_.back().insert(std::move(key)).second || stop(BodyProblem::kRepeatedKey);
  }
  bool EndObject(rapidjson::SizeType) {
    keys_.pop_back();
    --depth_;
    return true;
  }
  bool StartArray() {
    not_a_boolean();
    return depth_ > 0 ? open() : stop(BodyProblem::kNotObject);
  }
  bool EndArray(rapidjson::SizeType) {
    --depth_;
    return true;
  }

  BodyProblem problem = BodyProblem::kNone;
  std::optional<std::string> session, message;  // the top-level strings, when present
  bool regenerate = false;
  bool regenerate_not_boolean = false;

 private:
  void not_a_boolean() {
    if (depth_ == 1 && regenerate_key_) regenerate_not_boolean = true;
  }
  bool open() {
    if (depth_ >= kMaxChatJsonDepth) return stop(BodyProblem::kTooDeep);
    ++depth_;
    return true;
  }
  bool stop(BodyProblem why) {
    problem = why;
    return false;  // ends the parse
  }

  size_t depth_ = 0;
  std::vector<std::set<std::string>> keys_;  // one per open object
  std::optional<std::string>* target_ = nullptr;
  bool regenerate_key_ = false;  // the top-level key whose value comes next is "regenerate"
};

}  // namespace

bool is_json_content_type(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  return lower(media) == "application/json";
}

ChatRequestParse parse_chat_request(std::string_view content_type, std::string_view body,
                                    int max_chars) {
  if (!is_json_content_type(content_type)) {
    return refuse(415, "Error: Send the message as JSON (Content-Type: application/json).");
  }
  if (!is_valid_utf8(body)) return refuse(400, "Error: The request is not valid UTF-8.");
  // RapidJSON reads a NUL byte as the end of the input and would ignore what follows.
  if (body.find('\0') != std::string_view::npos) {
    return refuse(400, "Error: The request body contains a NUL byte.");
  }
  BodyHandler body_json;
  rapidjson::MemoryStream stream(body.data(), body.size());
  rapidjson::Reader reader;
  reader.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(stream,
                                                                                      body_json);
  if (body_json.problem == BodyProblem::kTooDeep) {
    return refuse(400, "Error: The request body is nested too deeply.");
  }
  if (body_json.problem == BodyProblem::kRepeatedKey) {
    return refuse(400, "Error: The request body repeats a field.");
  }
  if (reader.HasParseError() || body_json.problem != BodyProblem::kNone) {
    return refuse(400, "Error: The request body must be a JSON object.");
  }
  std::optional<std::string>& session = body_json.session;
  std::optional<std::string>& message = body_json.message;
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
  if (body_json.regenerate_not_boolean) {
    return refuse(400, "Error: \"regenerate\" must be true or false.");
  }
  ChatRequestParse result;
  result.request = ChatRequest{std::move(*session), std::move(*message), body_json.regenerate};
  return result;
}

}  // namespace resume_chat
