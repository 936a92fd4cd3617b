// Query strings: percent-decoding and lookup of one parameter.
#ifndef RESUME_CHAT_URL_H_
#define RESUME_CHAT_URL_H_

#include <optional>
#include <string>
#include <string_view>

namespace resume_chat {

// Decodes %XX escapes and '+' (as a space). Like WHATWG URLSearchParams, a '%' that does
// not start a valid escape is kept literally, so decoding never fails. The result may be
// invalid UTF-8: callers check.
std::string percent_decode(std::string_view text);

// The decoded value of the first `name=` in a raw query string ("a=1&q=x"). A parameter
// present without '=' has an empty value. std::nullopt when absent.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

// Percent-encodes everything but RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~),
// so the result is safe as a query value.
std::string percent_encode(std::string_view text);

}  // namespace resume_chat

#endif  // RESUME_CHAT_URL_H_
