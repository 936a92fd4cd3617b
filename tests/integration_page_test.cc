// The page route end to end (nginx → worker → PostgreSQL): documents found and not, error
// states, security headers, and a database that goes away.
// Needs a running scripts/test-stack (scripts/run-tests integration starts one).
#define BOOST_TEST_MODULE integration_page
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <atomic>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <mutex>
#include <sstream>
#include <thread>

#include <rapidjson/document.h>

#include "resume_chat/chat_store.h"
#include "resume_chat/db_pool.h"
#include "resume_chat/schema.h"
#include "resume_chat/session_token.h"
#include "support/chat.h"
#include "support/integration.h"
#include "support/fcgi_client.h"
#include "support/http.h"
#include "support/stack.h"

using namespace test_support;

BOOST_AUTO_TEST_SUITE(page)

BOOST_AUTO_TEST_CASE(found_document_renders_ready_page) {
  HttpResponse r = get(page_url("demo"));
  BOOST_TEST(r.status == 200);
  BOOST_TEST(contains(r.header("content-type"), "text/html"));
  BOOST_TEST(contains(r.body, "Jordan Rivera"));
  BOOST_TEST(contains(r.body, "R&amp;D &lt;Team&gt; liaison"));  // resume text, escaped
  BOOST_TEST(contains(r.body, "Staff Backend Engineer"));
  BOOST_TEST(contains(r.body, "data-ready=\"true\""));
  BOOST_TEST(contains(r.body, "data-session=\"v1."));
  BOOST_TEST(contains(r.body, "role=\"alert\" hidden"));
  for (const char* id : {"error", "chat", "message", "send", "resume", "jd", "download"}) {
    BOOST_TEST(contains(r.body, std::string("id=\"") + id + "\""), id);
  }
  // The starters of the installed templates/starters.txt, escaped.
  BOOST_TEST(contains(r.body, "data-starter>What are the three biggest gaps?</button>"));
}

BOOST_AUTO_TEST_CASE(each_page_load_gets_a_new_session) {
  auto token = [](const std::string& body) {
    size_t at = body.find("data-session=\"");
    return body.substr(at, body.find('"', at + 14) - at);
  };
  BOOST_TEST(token(get(page_url("demo")).body) != token(get(page_url("demo")).body));
}

BOOST_AUTO_TEST_CASE(missing_or_empty_q_is_400) {
  const std::string text = "Error: &#39;q&#39; parameter must be specified in the URL";
  expect_error_state(get(base_url() + "/"), 200, text);
  expect_error_state(get(base_url() + "/?q="), 200, text);
  expect_error_state(get(base_url() + "/?other=1"), 200, text);
}

BOOST_AUTO_TEST_CASE(unknown_document_is_404) {
  expect_error_state(get(page_url("nope")), 404,
                     "Error: No document found with name &#39;nope&#39;");
}

BOOST_AUTO_TEST_CASE(head_request_works) {
  HttpResponse r = http({"HEAD", page_url("demo"), "", {}, 10});
  BOOST_TEST(r.status == 200);
  BOOST_TEST(r.body.empty());
}

BOOST_AUTO_TEST_CASE(hostile_document_is_shown_as_text) {
  const std::string name = "xss <script>alert(1)</script>";
  sql("INSERT INTO documents (name, resume, jd) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
      {name, "<script>window.__xss=1</script> R&D", "<img src=x onerror=alert(1)>"});
  HttpResponse r = get(page_url(name));
  BOOST_TEST(r.status == 200);
  BOOST_TEST(!contains(r.body, "<script>window"));
  BOOST_TEST(!contains(r.body, "<img src=x"));
  BOOST_TEST(contains(r.body, "&lt;script&gt;window.__xss=1&lt;/script&gt; R&amp;D"));
  BOOST_TEST(contains(r.body, "&lt;img src=x onerror=alert(1)&gt;"));
  HttpResponse missing = get(page_url("<b>bold</b>"));
  BOOST_TEST(contains(missing.body, "&#39;&lt;b&gt;bold&lt;/b&gt;&#39;"));
}

BOOST_AUTO_TEST_CASE(unicode_names_are_decoded) {
  const std::string name = "jos\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC";
  sql("INSERT INTO documents (name, resume, jd) VALUES ($1, 'r', 'j') ON CONFLICT DO NOTHING",
      {name});
  BOOST_TEST(get(page_url(name)).status == 200);
  BOOST_TEST(get(base_url() + "/?q=jos%C3%A9+%E6%97%A5%E6%9C%AC").status == 200);
}

BOOST_AUTO_TEST_CASE(sql_injection_is_just_not_found) {
  std::string documents_before = sql_value("SELECT count(*) FROM documents");
  for (const char* attack :
       {"'; DROP TABLE documents; --", "' OR '1'='1", "demo' --", "demo'; DELETE FROM chats; --",
        "1; SELECT pg_sleep(5)", "\\'; DROP TABLE chats; --", "' UNION SELECT 'a','b' --"}) {
    HttpResponse r = get(page_url(attack));
    BOOST_TEST(r.status == 404, attack);
  }
  BOOST_TEST(sql_value("SELECT count(*) FROM documents") == documents_before);
  BOOST_TEST(sql_value("SELECT to_regclass('public.chats') IS NOT NULL") == "t");
}

BOOST_AUTO_TEST_CASE(long_and_malformed_q_are_not_found) {
  BOOST_TEST(get(page_url(std::string(256, 'a'))).status == 404);
  HttpResponse long_q = get(page_url(std::string(3000, 'b')));
  BOOST_TEST(long_q.status == 404);
  BOOST_TEST(long_q.body.size() < 10000u);  // the name shown is shortened
  BOOST_TEST(get(base_url() + "/?q=%zz%").status == 404);
  BOOST_TEST(get(base_url() + "/?q=%FF%FE").status == 404);  // invalid UTF-8
  BOOST_TEST(get(base_url() + "/?q=a%00b").status == 404);
}

// A name with a right-to-left override (as another application may store one) is shown with
// it escaped, in the not-found card and on the page, never obeyed.
BOOST_AUTO_TEST_CASE(names_with_invisible_characters_are_shown_escaped) {
  const std::string name = "jane\xE2\x80\xAE" "fdp.exe";
  HttpResponse missing = get(page_url(name));
  BOOST_TEST(missing.status == 404);
  BOOST_TEST(contains(missing.body, "jane\\u202Efdp.exe"), missing.body.substr(0, 400));
  BOOST_TEST(!contains(missing.body, "\xE2\x80\xAE"));
  sql("INSERT INTO documents (name, resume, jd) VALUES ($1, '', 'A role') ON CONFLICT DO NOTHING",
      {name});
  HttpResponse page = get(page_url(name));
  BOOST_TEST(page.status == 200);
  BOOST_TEST(contains(page.body, "jane\\u202Efdp.exe"));  // the header's fallback, data-name
  BOOST_TEST(!contains(page.body, "\xE2\x80\xAE"));
  sql("DELETE FROM documents WHERE name = $1", {name});
}

BOOST_AUTO_TEST_CASE(security_headers_and_no_versions) {
  HttpResponse r = get(page_url("demo"));
  BOOST_TEST(contains(r.header("content-security-policy"), "script-src 'self'"));
  BOOST_TEST(contains(r.header("content-security-policy"), "frame-ancestors"));
  BOOST_TEST(r.header("x-content-type-options") == "nosniff");
  BOOST_TEST(!r.header("referrer-policy").empty());
  BOOST_TEST(r.header("server") == "nginx");
  BOOST_TEST(r.header("cache-control") == "no-store");
}

BOOST_AUTO_TEST_CASE(static_assets_and_unknown_paths) {
  BOOST_TEST(get(base_url() + "/static/app.js").status == 200);
  BOOST_TEST(get(base_url() + "/static/app.css").status == 200);
  BOOST_TEST(get(base_url() + "/nothing-here").status == 404);
  BOOST_TEST(get(base_url() + "/static/../Makefile").status != 200);
}

// Peers on the worker's FastCGI socket that connect and send nothing, or half a request,
// more of them than request threads: pages through nginx are served meanwhile.
BOOST_AUTO_TEST_CASE(silent_fastcgi_peers_hold_up_no_page) {
  std::vector<int> peers;
  const std::string half = fcgi_request({{"REQUEST_METHOD", "GET"}, {"DOCUMENT_URI", "/"}});
  for (int i = 0; i < 20; ++i) {
    int fd = fcgi_connect(env("FCGI_SOCKET"));
    BOOST_REQUIRE(fd >= 0);
    if (i % 2) send(fd, half.data(), half.size() / 2, MSG_NOSIGNAL);
    peers.push_back(fd);
  }
  int served = 0;
  for (int i = 0; i < 20; ++i) {
    served += http({"GET", page_url("demo"), "", {}, 10}).status == 200;
  }
  for (int fd : peers) close(fd);
  BOOST_TEST(served == 20);
}

BOOST_AUTO_TEST_CASE(post_to_page_is_405) {
  HttpResponse r = http({"POST", page_url("demo"), "x=1", {}, 10});
  BOOST_TEST(r.status == 405);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(database_outage)

// Stops PostgreSQL under the running worker: pages get the seed's database error quickly,
// and after a restart the worker recovers without being restarted itself.
BOOST_AUTO_TEST_CASE(page_is_503_while_down_and_recovers) {
  // A document no page has loaded yet: not in the worker's short-lived document cache.
  sql("DELETE FROM documents WHERE name = 'outage-doc'");
  sql("INSERT INTO documents (name, resume, jd) VALUES ('outage-doc', 'r', 'j')");
  BOOST_TEST(get(page_url("demo")).status == 200);
  BOOST_REQUIRE(std::system("scripts/test-stack pg-stop >/dev/null") == 0);
  HttpResponse down = get(page_url("outage-doc"));
  HttpResponse health = get(base_url() + "/healthz");
  BOOST_TEST(down.status == 503);
  BOOST_TEST(contains(down.body,
                      "Error: Unable to connect to database. Please check configuration."));
  BOOST_TEST(health.status == 503);
  BOOST_TEST(health.body == "{\"status\":\"unavailable\",\"database\":\"unreachable\"}\n");
  BOOST_REQUIRE(std::system("scripts/test-stack pg-start >/dev/null") == 0);
  BOOST_TEST(get(page_url("outage-doc")).status == 200);
  BOOST_TEST(get(page_url("demo")).status == 200);
  HttpResponse healthy = get(base_url() + "/healthz");
  BOOST_TEST(healthy.status == 200);
  BOOST_TEST(healthy.body == "{\"status\":\"ok\",\"database\":\"ok\"}\n");
  BOOST_TEST(contains(healthy.header("content-type"), "application/json"));
}

BOOST_AUTO_TEST_SUITE_END()
