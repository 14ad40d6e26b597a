#include "core/names.h"

#include <gtest/gtest.h>

#include <string>

#include "core/error.h"
#include "test_util.h"

namespace pot {
namespace {

using ::pot::testing::ErrorOf;
using ::pot::testing::HasText;

TEST(Names, AcceptsOrdinaryNames) {
  for (const char* name : {"web", "Web01", "my-pot", "my_pot", "13.2", "a", "a.b-c_d", "x."}) {
    EXPECT_TRUE(is_valid_name(name)) << name;
    EXPECT_NO_THROW(validate_name("pot", name)) << name;
  }
}

TEST(Names, AcceptsExactly64Characters) {
  std::string name(64, 'a');
  EXPECT_TRUE(is_valid_name(name));
  EXPECT_NO_THROW(validate_name("pot", name));
}

TEST(Names, RejectsBadNames) {
  const std::string bad[] = {
      "",                      // empty
      ".",                     // leading dot
      "..",                    // parent directory
      ".hidden",               // leading dot
      "-rf",                   // leading dash: would read as an option
      "a/b",                   // path separator
      "/abs",                  // path separator
      "a b",                   // space
      " web",                  // leading space
      "web\n",                 // newline
      "tab\there",             // tab
      std::string(65, 'a'),    // too long
      "p\xc3\xb3t",            // "pót": not ASCII
      "caf\xc3\xa9",           // "café"
      "a*b",                   // glob character
      "a$b",                   // shell variable
      "a:b",                   // colon
      std::string("a\0b", 3),  // embedded NUL
  };
  for (const auto& name : bad) {
    EXPECT_FALSE(is_valid_name(name)) << '"' << name << '"';
    EXPECT_THROW(validate_name("pot", name), Error) << '"' << name << '"';
  }
}

TEST(Names, ErrorNamesTheKindTheNameAndTheReason) {
  std::string message = ErrorOf([] { validate_name("pot", "a/b"); });
  EXPECT_TRUE(HasText(message, "invalid pot name `a/b`"));
  EXPECT_TRUE(HasText(message, "path separator"));

  message = ErrorOf([] { validate_name("base", ""); });
  EXPECT_TRUE(HasText(message, "invalid base name ``"));
  EXPECT_TRUE(HasText(message, "empty"));

  message = ErrorOf([] { validate_name("snapshot", ".snap"); });
  EXPECT_TRUE(HasText(message, "invalid snapshot name `.snap`"));
  EXPECT_TRUE(HasText(message, "dot"));

  message = ErrorOf([] { validate_name("bridge", "-br"); });
  EXPECT_TRUE(HasText(message, "invalid bridge name `-br`"));
  EXPECT_TRUE(HasText(message, "dash"));

  message = ErrorOf([] { validate_name("pot", std::string(65, 'x')); });
  EXPECT_TRUE(HasText(message, "64"));

  message = ErrorOf([] { validate_name("pot", "my pot"); });
  EXPECT_TRUE(HasText(message, "invalid pot name `my pot`"));
  EXPECT_TRUE(HasText(message, "letters, digits"));
}

}  // namespace
}  // namespace pot
