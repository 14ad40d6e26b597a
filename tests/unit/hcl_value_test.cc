// hcl::Value: kinds, accessors, equality, sets, and the text forms of numbers and JSON.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "hcl/value.h"
#include "hcl_test_util.h"

namespace {

using hcl::Kind;
using hcl::Value;

TEST(HclValue, KindsAndAccessors) {
  EXPECT_TRUE(Value().is_null());
  EXPECT_EQ(Value::boolean(true).as_bool(), true);
  EXPECT_EQ(Value::number(2.5).as_number(), 2.5);
  EXPECT_EQ(Value::string("x").as_string(), "x");
  EXPECT_EQ(Value::list({Value::number(1)}).elements().size(), 1u);
  EXPECT_TRUE(Value::tuple({}).is_sequence());
  EXPECT_TRUE(Value::map({}).is_mapping());
  EXPECT_EQ(Value::object({{"a", Value::null()}}).size(), 1u);
  EXPECT_EQ(Value::string("abc").size(), 0u);
  EXPECT_THROW(Value::number(1).as_string(), std::logic_error);
  EXPECT_THROW(Value::string("1").as_number(), std::logic_error);
  EXPECT_THROW(Value().elements(), std::logic_error);
  EXPECT_THROW(Value::list({}).attributes(), std::logic_error);
}

TEST(HclValue, KindNames) {
  EXPECT_EQ(hcl::kind_name(Kind::Null), "null");
  EXPECT_EQ(hcl::kind_name(Kind::Number), "number");
  EXPECT_EQ(hcl::kind_name(Kind::Tuple), "tuple");
  EXPECT_EQ(hcl::kind_name(Kind::Object), "object");
}

TEST(HclValue, Equality) {
  EXPECT_EQ(Value(), Value::null());
  EXPECT_NE(Value::number(1), Value::string("1"));
  EXPECT_EQ(Value::number(0.0), Value::number(-0.0));
  EXPECT_EQ(Value::list({Value::number(1)}), Value::tuple({Value::number(1)}));
  EXPECT_NE(Value::list({Value::number(1)}), Value::list({Value::number(2)}));
  EXPECT_EQ(Value::map({{"a", Value::number(1)}}), Value::object({{"a", Value::number(1)}}));
  EXPECT_NE(Value::map({{"a", Value::number(1)}}), Value::map({{"b", Value::number(1)}}));
  EXPECT_NE(Value::set({Value::number(1)}), Value::list({Value::number(1)}));
  EXPECT_NE(Value::list({}), Value::map({}));
}

TEST(HclValue, SetsAreSortedAndUnique) {
  Value set = Value::set({Value::string("b"), Value::string("a"), Value::string("b")});
  EXPECT_EQ(set.elements(), (Value::Elements{Value::string("a"), Value::string("b")}));
  Value numbers = Value::set({Value::number(10), Value::number(2), Value::number(-1)});
  EXPECT_EQ(numbers.elements(),
            (Value::Elements{Value::number(-1), Value::number(2), Value::number(10)}));
  Value bools = Value::set({Value::boolean(true), Value::boolean(false)});
  EXPECT_EQ(bools.elements().front(), Value::boolean(false));
  EXPECT_EQ(Value::set({Value::string("x")}), Value::set({Value::string("x"), Value::string("x")}));
}

TEST(HclValue, MapsIterateInKeyOrder) {
  Value map = Value::map({{"b", Value::number(2)}, {"a", Value::number(1)}});
  EXPECT_EQ(map.attributes().begin()->first, "a");
}

TEST(HclValue, FormatNumber) {
  EXPECT_EQ(hcl::format_number(5), "5");
  EXPECT_EQ(hcl::format_number(-5), "-5");
  EXPECT_EQ(hcl::format_number(0.5), "0.5");
  EXPECT_EQ(hcl::format_number(0.1), "0.1");
  EXPECT_EQ(hcl::format_number(1.5), "1.5");
  EXPECT_EQ(hcl::format_number(0), "0");
  EXPECT_EQ(hcl::format_number(9007199254740992.0), "9007199254740992");
  // cty writes numbers in full, never with an exponent.
  EXPECT_EQ(hcl::format_number(1.5e30), "1500000000000000000000000000000");
  EXPECT_EQ(hcl::format_number(1e-7), "0.0000001");
  EXPECT_EQ(hcl::format_number(-1.25e-3), "-0.00125");
  EXPECT_EQ(hcl::format_number(123.456), "123.456");
  EXPECT_EQ(hcl::format_number(1e21), "1000000000000000000000");
  EXPECT_EQ(hcl::format_number(INFINITY), "+Inf");
}

TEST(HclValue, Json) {
  Value v = Value::object({
      {"b", Value::list({Value::number(1), Value::number(2.5)})},
      {"a", Value::string("x\"y\\\n<&>\x01")},
      {"n", Value::null()},
      {"t", Value::boolean(true)},
      {"m", Value::map({})},
  });
  EXPECT_EQ(hcl::to_json(v),
            R"({"a":"x\"y\\\n\u003c\u0026\u003e\u0001","b":[1,2.5],"m":{},"n":null,"t":true})");
  EXPECT_EQ(hcl::to_json(Value::string("é")), "\"é\"");
  EXPECT_EQ(hcl::to_json(Value::set({Value::string("b"), Value::string("a")})), R"(["a","b"])");
}

}  // namespace
