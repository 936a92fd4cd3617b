// What callgrind counts for `make bench`: the worker's CPU work per page render and per
// streamed token, without I/O. Run twice with different N; the difference divided by the
// difference in N is the cost of one, free of start-up.
//   instructions page N TEMPLATES_DIR DOCUMENT_FILE   N renders of the ready page (the
//                                                     same link opened N times)
//   instructions page-new N TEMPLATES_DIR DOCUMENT    N renders, each of a document edited
//                                                     since (laid out and rendered anew)
//   instructions token N                              N text deltas: SSE decode, event
//                                                     parse, and the client's event text
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "resume_chat/chat_events.h"
#include "resume_chat/claude_client.h"
#include "resume_chat/fcgi_connection.h"
#include "resume_chat/log.h"
#include "resume_chat/page.h"
#include "resume_chat/session_token.h"
#include "resume_chat/sse_decoder.h"

using namespace resume_chat;

namespace {

size_t render_pages(long n, const char* templates_dir, const char* document_file, bool edited) {
  std::ifstream file(document_file);
  std::stringstream text;
  text << file.rdbuf();
  std::optional<PageRenderer> renderer = PageRenderer::load(templates_dir);
  if (!renderer) return 0;
  SessionSigner signer("bench-secret-bench-secret-bench-secret");
  size_t bytes = 0;
  for (long i = 0; i < n; ++i) {
    PageModel model;
    model.ready = true;
    model.document_name = "demo";
    model.resume = edited ? text.str() + "\n" + std::to_string(i) : text.str();
    model.jd = text.str();
    model.session_token = signer.sign({new_uuid4(), "demo", 1767225600});
    bytes += renderer->render(model).size();
  }
  return bytes;
}

// The engine's path for one text delta, minus the system calls: the attempt decodes the
// SSE bytes and the event, the token event is framed as an FCGI_STDOUT record.
size_t forward_tokens(long n) {
  FcgiConnection out;
  ApiAttempt attempt([&out](std::string_view text) {
    out.queue(token_event(text));
    return true;
  });
  attempt.on_header_line("HTTP/2 200\r\n");
  attempt.on_body("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":"
                  "\"msg_1\",\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}\n\n"
                  "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
                  "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");
  const std::string delta = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\","
                            "\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" résumé\"}}\n\n";
  for (long i = 0; i < n; ++i) attempt.on_body(delta);
  return out.pending();
}

}  // namespace

int main(int argc, char** argv) {
  const std::string what = argc > 2 ? argv[1] : "";
  const long n = argc > 2 ? std::atol(argv[2]) : 0;
  size_t bytes = 0;
  if ((what == "page" || what == "page-new") && argc == 5) {
    bytes = render_pages(n, argv[3], argv[4], what == "page-new");
  } else if (what == "token") {
    bytes = forward_tokens(n);
  } else {
    std::fprintf(stderr, "usage: instructions page|page-new N TEMPLATES_DIR DOCUMENT | token N\n");
    return 2;
  }
  std::printf("%zu bytes\n", bytes);
}
