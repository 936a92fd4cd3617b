// HMAC-SHA256 against RFC 4231's test vectors, and the constant-time MAC comparison.
#define BOOST_TEST_MODULE hmac
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "resume_chat/hmac.h"
#include "resume_chat/text.h"

using namespace resume_chat;

BOOST_AUTO_TEST_CASE(matches_rfc_4231_vectors) {
  BOOST_TEST(to_hex(hmac_sha256(std::string(20, '\x0b'), "Hi There")) ==
             "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  BOOST_TEST(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")) ==
             "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 6: a key longer than the block size is hashed first.
  BOOST_TEST(to_hex(hmac_sha256(std::string(131, '\xaa'),
                             "Test Using Larger Than Block-Size Key - Hash Key First")) ==
             "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

BOOST_AUTO_TEST_CASE(digest_is_32_bytes_even_for_empty_input) {
  BOOST_TEST(hmac_sha256("", "").size() == 32u);
  BOOST_TEST(hmac_sha256("k", "a") != hmac_sha256("k", "b"));
  BOOST_TEST(hmac_sha256("k1", "a") != hmac_sha256("k2", "a"));
}

BOOST_AUTO_TEST_CASE(same_mac_needs_equal_length_and_bytes) {
  const std::string mac = hmac_sha256("secret", "payload");
  BOOST_TEST(same_mac(mac, mac));
  BOOST_TEST(!same_mac(mac.substr(0, 31), mac));
  BOOST_TEST(!same_mac(mac + "x", mac));
  BOOST_TEST(!same_mac("", mac));
  std::string flipped = mac;
  flipped[31] = static_cast<char>(flipped[31] ^ 1);
  BOOST_TEST(!same_mac(flipped, mac));
  BOOST_TEST(same_mac("", ""));
}
