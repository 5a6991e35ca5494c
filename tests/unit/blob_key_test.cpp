#include <catch2/catch.hpp>
#include <string>

#include "carehub/blob.hpp"

using carehub::valid_blob_key;

TEST_CASE("blob keys: ordinary keys are accepted", "[blob]") {
  CHECK(valid_blob_key("a"));
  CHECK(valid_blob_key("cases/42/documents/report-v1.pdf"));
  CHECK(valid_blob_key("A_b.c-9/x..y"));
  CHECK(valid_blob_key(std::string(512, 'k')));
}

TEST_CASE("blob keys: anything that could escape the root or confuse a path is refused", "[blob]") {
  CHECK_FALSE(valid_blob_key(""));
  CHECK_FALSE(valid_blob_key(".."));
  CHECK_FALSE(valid_blob_key("a/../b"));
  CHECK_FALSE(valid_blob_key("../etc/passwd"));
  CHECK_FALSE(valid_blob_key("a/.."));
  CHECK_FALSE(valid_blob_key("."));
  CHECK_FALSE(valid_blob_key("a/./b"));
  CHECK_FALSE(valid_blob_key("/abs"));
  CHECK_FALSE(valid_blob_key("a/"));
  CHECK_FALSE(valid_blob_key("a//b"));
  CHECK_FALSE(valid_blob_key("a\\b"));
  CHECK_FALSE(valid_blob_key(std::string("a\0b", 3)));
  CHECK_FALSE(valid_blob_key("a b"));
  CHECK_FALSE(valid_blob_key("caf\xc3\xa9"));
  CHECK_FALSE(valid_blob_key(std::string(513, 'k')));
}
