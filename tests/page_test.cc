// Rendering: the page escapes everything it shows; the system prompt keeps text verbatim.
#define BOOST_TEST_MODULE page
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include <fstream>

#include "resume_chat/html.h"
#include "resume_chat/mustache.h"
#include "resume_chat/page.h"
#include "resume_chat/prompt.h"
#include "resume_chat/user_texts.h"
#include "resume_chat/utf8.h"
#include "support/escape_policy.h"

using namespace resume_chat;

namespace {
const char* const kHostile = "R&D <Team> <script>alert('x')</script> \"q\"";

PageRenderer renderer() {
  auto page = PageRenderer::load("templates");
  BOOST_REQUIRE(page);
  return *page;
}

// The ready page of the link "demo" with these documents.
PageModel ready_model(const std::string& resume, const std::string& jd) {
  PageModel model;
  model.ready = true;
  model.document_name = "demo";
  model.resume = resume;
  model.jd = jd;
  return model;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}
}  // namespace

BOOST_AUTO_TEST_CASE(html_escape_covers_the_five_characters) {
  BOOST_TEST(html_escape("<a href=\"x\">'&'</a>") ==
             "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

BOOST_AUTO_TEST_CASE(ready_page_escapes_documents_and_enables_chat) {
  PageModel model = ready_model(kHostile, "Job & <b>bold</b>");
  model.session_token = "v1.tok\"en";
  std::string html = renderer().render(model);
  BOOST_TEST(contains(html, "R&amp;D &lt;Team&gt; &lt;script&gt;"));
  BOOST_TEST(!contains(html, "<script>alert"));
  BOOST_TEST(contains(html, "Job &amp; &lt;b&gt;bold&lt;/b&gt;"));
  BOOST_TEST(contains(html, "data-session=\"v1.tok&quot;en\""));
  BOOST_TEST(contains(html, "data-ready=\"true\""));
  BOOST_TEST(contains(html, "id=\"error\" class=\"error\" role=\"alert\" hidden"));
  BOOST_TEST(!contains(html, "class=\"advice\""));
  BOOST_TEST(contains(html, "data-name=\"demo\""));
}

// A link opened again is served from the memo: the same page but for its session token,
// escaped as before; a document edited, or a document whose text poses as the session
// attribute, gets a page of its own.
BOOST_AUTO_TEST_CASE(a_page_opened_again_differs_only_in_its_session) {
  PageModel model = ready_model("Jordan Rivera\ndata-session=\"forged\"\n", "Staff Engineer\n");
  model.session_token = "v1.first";
  const PageRenderer page = renderer();
  const std::string first = page.render(model);
  model.session_token = "v1.sec\"<ond>";
  const std::string second = page.render(model);
  std::string expected = first;
  expected.replace(first.find("v1.first"), 8, "v1.sec&quot;&lt;ond&gt;");
  BOOST_TEST(second == expected);
  BOOST_TEST(second.find("data-session=\"v1.sec&quot;&lt;ond&gt;\"") != std::string::npos);
  BOOST_TEST(second == renderer().render(model));  // a renderer with an empty memo
  model.resume = "Jordan Rivera\nEdited since\n";
  BOOST_TEST(contains(page.render(model), "Edited since"));
  model.ready = false;
  model.error = "Something went wrong";
  BOOST_TEST(!contains(page.render(model), "Edited since"));
}

BOOST_AUTO_TEST_CASE(the_header_and_title_name_the_candidate_and_the_role) {
  PageModel model = ready_model("Jordan Rivera & Co\nSeattle\n\nSUMMARY\nBuilt things.\n", "# Staff <Backend> Engineer\n\nAbout the role\n- Design services.\n");
  std::string html = renderer().render(model);
  BOOST_TEST(contains(html, "<title>Jordan Rivera &amp; Co · Staff &lt;Backend&gt; Engineer · Resume chat</title>"));
  BOOST_TEST(contains(html, "<span class=\"top-name\">Jordan Rivera &amp; Co</span>"));
  BOOST_TEST(contains(html, "For the role: </span>Staff &lt;Backend&gt; Engineer</p>"));
  BOOST_TEST(contains(html, "data-candidate=\"Jordan Rivera &amp; Co\" data-role=\"Staff &lt;Backend&gt; Engineer\""));
  // The documents as laid out blocks, escaped.
  BOOST_TEST(contains(html, "<p class=\"doc-name\">Jordan Rivera &amp; Co</p><p>Seattle</p><h3>SUMMARY</h3>"));
  BOOST_TEST(contains(html, "<h3>About the role</h3><ul><li>Design services.</li></ul>"));
  // Without a short first line, the link's name.
  model.resume = std::string(200, 'x');
  model.jd = "";
  html = renderer().render(model);
  BOOST_TEST(contains(html, "<title>demo · Resume chat</title>"));
  BOOST_TEST(!contains(html, "top-role"));
}

BOOST_AUTO_TEST_CASE(error_page_is_one_card_without_chat_or_documents) {
  PageModel model;
  model.error = error_not_found("<img src=x onerror=alert(1)>");
  std::string html = renderer().render(model);
  BOOST_TEST(contains(html, "<p id=\"error\" class=\"error\" role=\"alert\">Error: No document "
                            "found with name &#39;&lt;img src=x"));
  BOOST_TEST(!contains(html, "<img"));
  BOOST_TEST(contains(html, "data-ready=\"false\""));
  BOOST_TEST(contains(html, "Check the link you were sent"));
  for (const char* absent : {"id=\"chat\"", "id=\"message\"", "id=\"send\"", "data-starter",
                             "id=\"resume\"", "id=\"jd\"", "id=\"download\""}) {
    BOOST_TEST(!contains(html, absent), absent);
  }
}

BOOST_AUTO_TEST_CASE(each_error_says_what_to_do) {
  BOOST_TEST(contains(error_advice(kErrorMissingQ), "Check the link you were sent"));
  BOOST_TEST(contains(error_advice(error_not_found("x")), "Check the link you were sent"));
  BOOST_TEST(contains(error_advice(kErrorDatabase), "try again"));
  BOOST_TEST(contains(error_advice(error_template_missing("p")), "operator"));
  BOOST_TEST(error_advice("").empty());
}

BOOST_AUTO_TEST_CASE(starters_are_read_escaped_and_send_on_click) {
  auto page = renderer();
  BOOST_TEST(page.starters().size() >= 3u, "templates/starters.txt ships at least three");
  PageRenderer custom("{{#starters}}[{{text}}]{{/starters}}",
                      parse_starters("# comment\n\n  First <b>one</b> \r\nSecond & last\n"));
  BOOST_TEST(custom.render(PageModel{}) == "[First &lt;b&gt;one&lt;/b&gt;][Second &amp; last]");
  PageModel model;
  model.ready = true;
  std::string html = page.render(model);
  size_t buttons = 0;
  for (size_t at = 0; (at = html.find("data-starter>", at)) != std::string::npos; ++at) ++buttons;
  BOOST_TEST(buttons == page.starters().size());
  BOOST_TEST(contains(html, page.starters()[0]));
}

BOOST_AUTO_TEST_CASE(starters_file_limits) {
  std::string many;
  for (int i = 0; i < 10; ++i) many += "starter " + std::to_string(i) + "\n";
  BOOST_TEST(parse_starters(many).size() == kMaxStarters);
  BOOST_TEST(parse_starters("ok\n\xFF bad\n").size() == 1u);
  BOOST_TEST(parse_starters("").empty());
  PageRenderer none("{{#starters}}x{{/starters}}");
  BOOST_TEST(none.render(PageModel{}) == "");
}

BOOST_AUTO_TEST_CASE(the_page_has_no_inline_script) {
  std::string html = renderer().render(PageModel{});
  size_t at = 0;
  while ((at = html.find("<script", at)) != std::string::npos) {
    BOOST_TEST(html.compare(at, 13, "<script src=\"") == 0);
    ++at;
  }
  BOOST_TEST(!contains(html, " style="));
}

BOOST_AUTO_TEST_CASE(display_text_truncates_and_repairs) {
  BOOST_TEST(display_text("abc", 5) == "abc");
  BOOST_TEST(display_text("abcdef", 3) == "abc\xE2\x80\xA6");
  BOOST_TEST(display_text("a\xFF" "b", 5) == "a\xEF\xBF\xBD" "b");
  BOOST_TEST(display_text("\xC3\xA9\xC3\xA9", 1) == "\xC3\xA9\xE2\x80\xA6");
  BOOST_TEST(display_text("jane\xE2\x80\xAE" "fdp", 50) == "jane\\u202Efdp");  // shown, not obeyed
}

BOOST_AUTO_TEST_CASE(prompt_is_rendered_verbatim) {
  const std::string path = "/tmp/resume_chat_prompt_test.mustache";
  std::ofstream(path) << "RESUME:\n{{resume}}\nJD:\n{{jd}}\n";
  PromptTemplate prompt(path);
  BOOST_TEST(prompt.exists());
  auto text = prompt.render("R&D <Team> a/b \"q\" 'x'", "<b>&</b>");
  BOOST_REQUIRE(text);
  BOOST_TEST(*text == "RESUME:\nR&D <Team> a/b \"q\" 'x'\nJD:\n<b>&</b>\n");
  // The page rendered right after on the same thread still escapes.
  PageModel model;
  model.ready = true;
  model.resume = "R&D";
  BOOST_TEST(contains(renderer().render(model), "R&amp;D"));
  std::remove(path.c_str());
}

BOOST_AUTO_TEST_CASE(shipped_prompt_renders) {
  PromptTemplate prompt("prompts/chat_system.mustache");
  auto text = prompt.render("THE RESUME", "THE JD");
  BOOST_REQUIRE(text);
  BOOST_TEST(contains(*text, "RESUME:\nTHE RESUME"));
  BOOST_TEST(contains(*text, "JOB DESCRIPTION:\nTHE JD"));
  // Quote links on the page depend on Claude quoting the documents word for word.
  BOOST_TEST(contains(*text, "exact words in double quotes"));
}

BOOST_AUTO_TEST_CASE(missing_prompt_template_is_reported) {
  PromptTemplate prompt("/nonexistent/prompt.mustache");
  BOOST_TEST(!prompt.exists());
  BOOST_TEST(!prompt.render("r", "j"));
}

// The seed shows the configured path ("prompts/chat_system.mustache"); an absolute one would
// tell every visitor where the server keeps its files.
BOOST_AUTO_TEST_CASE(pages_show_the_template_path_without_server_directories) {
  struct Case { const char* path; const char* cwd; const char* shown; };
  for (Case c : {Case{"prompts/chat_system.mustache", "/srv/app", "prompts/chat_system.mustache"},
                 Case{"./p.mustache", "/srv/app", "./p.mustache"},
                 Case{"/srv/app/prompts/chat_system.mustache", "/srv/app", "prompts/chat_system.mustache"},
                 Case{"/srv/app/prompts/chat_system.mustache", "/srv/app/", "prompts/chat_system.mustache"},
                 Case{"/srv/application/x.mustache", "/srv/app", "x.mustache"},
                 Case{"/etc/resume-chat/chat_system.mustache", "/srv/app", "chat_system.mustache"},
                 Case{"/srv/app/../etc/p.mustache", "/srv/app", "p.mustache"},
                 Case{"../secret/p.mustache", "/srv/app", "p.mustache"},
                 Case{"/x.mustache", "/", "x.mustache"},
                 Case{"/srv/app/p.mustache", "", "p.mustache"}}) {
    BOOST_TEST(public_template_path(c.path, c.cwd) == c.shown, c.path << " in " << c.cwd);
  }
  PromptTemplate prompt("/nonexistent/dir/prompt.mustache");
  BOOST_TEST(prompt.path() == "/nonexistent/dir/prompt.mustache");
  BOOST_TEST(prompt.public_path() == "prompt.mustache");
}

// A name another application stored with invisible characters is shown with them escaped,
// so it cannot read as something else (issue 19).
BOOST_AUTO_TEST_CASE(invisible_characters_in_a_stored_name_are_shown_escaped) {
  PageModel model;
  model.ready = true;
  model.document_name = "jane\xE2\x80\xAE" "fdp.exe";  // U+202E RIGHT-TO-LEFT OVERRIDE
  model.resume = "";
  model.jd = "";
  const PageHeading heading = page_heading(model);
  BOOST_TEST(heading.candidate == "jane\\u202Efdp.exe");
  BOOST_TEST(escape_invisible("a\x1b[31mb\xE2\x80\x8B") == "a\\u001B[31mb\\u200B");
}
