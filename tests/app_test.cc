// The App in one process, without nginx: requests handed to App::handle() as the request
// threads do (a libfcgi request on a socket pair), a PostgreSQL of its own
// (support/throwaway_postgres.h) and the API simulator. Routes, refusals, a whole /chat
// reply through the engine to its stored row, and the App's destruction with a stream
// still open (it owns the engine and stops it first). The routes through nginx are in the
// integration tests.
#define BOOST_TEST_MODULE app
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <fcgiapp.h>
#include <poll.h>
#include <sys/socket.h>

#include <ctime>
#include <thread>

#include "resume_chat/app.h"
#include "resume_chat/mustache.h"
#include "support/fcgi_client.h"
#include "support/simulator.h"
#include "support/throwaway_postgres.h"

using namespace resume_chat;
using namespace test_support;

BOOST_TEST_GLOBAL_FIXTURE(ThrowawayPostgres);

namespace {

constexpr const char* kSecret = "app-test-session-secret-0123456789abcdef";

Simulator& simulator() {
  static Simulator sim;
  return sim;
}

Config app_config() {
  Config config;
  config.anthropic_api_key = "sk-ant-sim-local";  // the simulator's own key
  config.anthropic_base_url = simulator().url();
  config.database = ThrowawayPostgres::get().app();
  config.session_secret = kSecret;
  return config;
}

// The pool, the prompt and the App as main() wires them.
struct World {
  World() : pool(app_config().database), prompt("prompts/chat_system.mustache") {
    install_escape_policy();
    auto page = PageRenderer::load("templates");
    BOOST_REQUIRE(page);
    Config config = app_config();
    auto engine = std::make_unique<ClaudeEngine>(claude_config(config));
    BOOST_REQUIRE(engine->start().ok());
    app = std::make_unique<App>(config, pool, *page, prompt, std::move(engine));
  }
  DbPool pool;
  PromptTemplate prompt;
  std::unique_ptr<App> app;
};

// One request as libfcgi hands it to a request thread; `peer` is nginx's end.
struct Request {
  Request(const std::map<std::string, std::string>& params, const std::string& body = "") {
    FCGX_Init();
    BOOST_REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    const std::string sent = fcgi_request(params, body);
    BOOST_REQUIRE(send(fds[1], sent.data(), sent.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(sent.size()));
    FCGX_InitRequest(&request, -1, 0);
    request.ipcFd = fds[0];
    request.keepConnection = 1;
    BOOST_REQUIRE(FCGX_Accept_r(&request) == 0);
  }
  ~Request() {
    FCGX_Free(&request, 1);
    close(fds[1]);
  }
  // Handles it and finishes it as the request thread does, while nginx's end reads the
  // whole response and then closes (libfcgi and the engine wait for that before closing).
  FcgiRecords run(App& app) {
    FcgiRecords seen;
    std::thread nginx([&] {
      for (int i = 0; i < 3000 && !seen.ended; ++i) seen.read_from(fds[1], 10);
      shutdown(fds[1], SHUT_WR);
    });
    {
      FcgiExchange exchange(request);
      app.handle(exchange);
    }
    FCGX_Finish_r(&request);
    nginx.join();
    return seen;
  }
  int fds[2] = {-1, -1};
  FCGX_Request request;
};

FcgiRecords get(App& app, const std::string& path, const std::string& query = "") {
  Request request(std::map<std::string, std::string>{
      {"REQUEST_METHOD", "GET"}, {"DOCUMENT_URI", path}, {"QUERY_STRING", query}});
  return request.run(app);
}

std::string chat_body(const std::string& session_uuid, const std::string& message) {
  const int64_t now = std::time(nullptr);
  const std::string token = SessionSigner(kSecret).sign({session_uuid, "demo", now, 0});
  return "{\"session\":\"" + token + "\",\"message\":\"" + message + "\"}";
}

std::map<std::string, std::string> chat_params(const std::string& body) {
  return {{"REQUEST_METHOD", "POST"}, {"DOCUMENT_URI", "/chat"},
          {"CONTENT_TYPE", "application/json"}, {"CONTENT_LENGTH", std::to_string(body.size())}};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_CASE(claude_config_carries_the_api_settings) {
  Config config = app_config();
  config.anthropic_ca_file = "/etc/ca.pem";
  config.claude_model = "claude-test";
  config.claude_max_tokens = 123;
  config.claude_idle_timeout_s = 7;
  ClaudeConfig claude = claude_config(config);
  BOOST_TEST(claude.base_url == simulator().url());
  BOOST_TEST(claude.api_key == "sk-ant-sim-local");
  BOOST_TEST(claude.ca_file == "/etc/ca.pem");
  BOOST_TEST(claude.model == "claude-test");
  BOOST_TEST(claude.max_tokens == 123);
  BOOST_TEST(claude.idle_timeout_s == 7);
}

BOOST_AUTO_TEST_CASE(each_route_answers) {
  World world;
  FcgiRecords health = get(*world.app, "/healthz");
  BOOST_TEST(contains(health.stdout_, "Status: 200"), health.stdout_);
  BOOST_TEST(contains(health.stdout_, "{\"status\":\"ok\",\"database\":\"ok\"}"));
  BOOST_TEST(contains(get(*world.app, "/", "q=demo").stdout_, "Status: 200"));
  BOOST_TEST(contains(get(*world.app, "/", "q=nobody").stdout_, "Status: 404"));
  BOOST_TEST(contains(get(*world.app, "/nowhere").stdout_, "Status: 404"));
  FcgiRecords metrics = get(*world.app, "/metrics");
  BOOST_TEST(contains(metrics.stdout_, "Status: 200"));
  BOOST_TEST(contains(metrics.stdout_, "resume_chat_"));
}

BOOST_AUTO_TEST_CASE(bad_chats_are_refused_before_any_stream) {
  World world;
  Request wrong_method(std::map<std::string, std::string>{{"REQUEST_METHOD", "GET"}, {"DOCUMENT_URI", "/chat"}});
  BOOST_TEST(contains(wrong_method.run(*world.app).stdout_, "Status: 405"));
  const std::string forged = "{\"session\":\"v1.x.1.ZGVtbw.AAAA\",\"message\":\"hi\"}";
  Request bad_token(chat_params(forged), forged);
  FcgiRecords refused = bad_token.run(*world.app);
  BOOST_TEST(contains(refused.stdout_, "Status: 403"));
  BOOST_TEST(contains(refused.stdout_, "This chat session is not valid"));
  const std::string blank = chat_body(new_uuid4(), "   ");
  Request empty(chat_params(blank), blank);
  BOOST_TEST(contains(empty.run(*world.app).stdout_, "Status: 400"));
}

BOOST_AUTO_TEST_CASE(a_chat_streams_through_the_engine_and_is_stored) {
  World world;
  const std::string session = new_uuid4();
  const std::string body = chat_body(session, "Hello there");
  Request chat(chat_params(body), body);
  FcgiRecords seen = chat.run(*world.app);
  BOOST_TEST(seen.ended);
  BOOST_TEST(contains(seen.stdout_, "Status: 200"));
  BOOST_TEST(contains(seen.stdout_, "text/event-stream"));
  BOOST_TEST(!seen.tokens().empty());
  BOOST_TEST(contains(seen.stdout_, "event: done"), seen.stdout_);
  std::string reply;
  for (const std::string& token : seen.tokens()) reply += token;
  auto stored = get_session_history(world.pool, session);  // `done` follows the store
  BOOST_REQUIRE(stored.ok());
  BOOST_REQUIRE(stored->size() == 2u);
  BOOST_TEST(stored.value()[0].contents == "Hello there");
  BOOST_TEST(stored.value()[1].message_type == "assistant");
  BOOST_TEST(stored.value()[1].contents == reply);
}

// ~App stops the engine before anything its hooks use: a stream still open when the App goes
// ends without a crash (the sanitizer builds check the rest).
BOOST_AUTO_TEST_CASE(the_app_can_go_with_a_stream_open) {
  auto world = std::make_unique<World>();
  const std::string body = chat_body(new_uuid4(), "[sim:slow] take your time");
  Request chat(chat_params(body), body);
  {
    FcgiExchange exchange(chat.request);
    world->app->handle(exchange);
  }
  FCGX_Finish_r(&chat.request);
  FcgiRecords seen;
  seen.read_from(chat.fds[1], 2000);  // the head, maybe a token: the stream is live
  BOOST_TEST(contains(seen.stdout_, "Status: 200"));
  world.reset();
  seen.read_from(chat.fds[1], 0);
  pollfd readable{chat.fds[1], POLLIN, 0};
  BOOST_REQUIRE(poll(&readable, 1, 10000) == 1);
  char byte = 0;
  BOOST_TEST(read(chat.fds[1], &byte, 1) <= 0);  // the stream's connection is closed, not leaked
}
