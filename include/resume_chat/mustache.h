// Mustache rendering through mstch, with escaping chosen per call: HTML-escaped for pages,
// verbatim for prompts.
//
// mstch keeps its escape function in one process-wide std::function, so it is installed
// once (before any thread starts) as a dispatcher on a thread_local mode; changing it per
// render would be a data race.
#ifndef RESUME_CHAT_MUSTACHE_H_
#define RESUME_CHAT_MUSTACHE_H_

#include <mstch/mstch.hpp>

#include <optional>
#include <string>

namespace resume_chat {

// Call once in main() before threads start (tests call it in a fixture).
void install_escape_policy();

// {{x}} is HTML-escaped (& < > " '); {{{x}}} is raw. Never pass user text as `tmpl`.
std::string render_html(const std::string& tmpl, const mstch::map& context);

// {{x}} is inserted verbatim: for text that is not HTML (the system prompt).
std::string render_verbatim(const std::string& tmpl, const mstch::map& context);

// Reads a whole file; std::nullopt when it cannot be read.
std::optional<std::string> read_text_file(const std::string& path);

}  // namespace resume_chat

#endif  // RESUME_CHAT_MUSTACHE_H_
