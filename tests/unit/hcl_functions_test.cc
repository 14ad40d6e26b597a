// The standard library of functions, through expressions as a job file calls them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include <unistd.h>

#include "hcl/eval.h"
#include "hcl/function.h"
#include "hcl/parser.h"
#include "hcl_test_util.h"

namespace {

using hcl::Value;

Value eval_with(std::string_view source, const hcl::FunctionTable& functions) {
  hcl::EvalContext context;
  context.functions = &functions;
  context.variables["obj"] = Value::object({{"a", Value::number(1)}, {"b", Value::string("x")}});
  context.variables["map"] = Value::map({{"a", Value::string("1")}, {"b", Value::string("2")}});
  return hcl::evaluate(*hcl::parse_expression(source, "f.hcl"), context);
}

Value eval(std::string_view source) {
  static const hcl::FunctionTable functions = hcl::standard_functions({});
  return eval_with(source, functions);
}

// The detail of the error, or "no error".
std::string error_of(std::string_view source) {
  try {
    eval(source);
  } catch (const hcl::DiagnosticError& error) {
    return error.diagnostics().front().detail;
  }
  return "no error";
}

Value str(const char* s) {
  return Value::string(s);
}
Value num(double n) {
  return Value::number(n);
}
Value strings(std::initializer_list<const char*> items) {
  Value::Elements out;
  for (const char* s : items) out.push_back(str(s));
  return Value::list(std::move(out));
}

TEST(HclFunctions, Format) {
  EXPECT_EQ(eval("format(\"%s-%d\", \"web\", 3)"), str("web-3"));
  EXPECT_EQ(eval("format(\"%5s|%-5s|\", \"ab\", \"cd\")"), str("   ab|cd   |"));
  EXPECT_EQ(eval("format(\"%.2f\", 3.14159)"), str("3.14"));
  EXPECT_EQ(eval("format(\"%f\", 1)"), str("1.000000"));
  EXPECT_EQ(eval("format(\"%05d|%+d|%x|%X|%o|%b\", 42, 5, 255, 255, 8, 5)"),
            str("00042|+5|ff|FF|10|101"));
  EXPECT_EQ(eval("format(\"%e\", 1500)"), str("1.500000e+03"));
  EXPECT_EQ(eval("format(\"%g %g\", 0.5, 1234567)"), str("0.5 1.234567e+06"));
  EXPECT_EQ(eval("format(\"%q\", \"a\\\"b\")"), str("\"a\\\"b\""));
  EXPECT_EQ(eval("format(\"%t %t\", true, \"false\")"), str("true false"));
  EXPECT_EQ(eval("format(\"%v %v %v %v\", \"s\", 1.5, true, [1, \"a\"])"),
            str("s 1.5 true [1,\"a\"]"));
  EXPECT_EQ(eval("format(\"%#v\", \"s\")"), str("\"s\""));
  EXPECT_EQ(eval("format(\"%v\", null)"), str("null"));
  EXPECT_EQ(eval("format(\"100%%\")"), str("100%"));
  EXPECT_EQ(eval("format(\"%[2]s %[1]s\", \"a\", \"b\")"), str("b a"));
  EXPECT_EQ(eval("format(\"%.2s\", \"héllo\")"), str("hé"));
  EXPECT_EQ(eval("format(\"%d\", \"12\")"), str("12"));
}

TEST(HclFunctions, FormatErrors) {
  EXPECT_EQ(error_of("format(\"%s %s\", \"a\")"),
            "format: not enough arguments for \"%s\" at 3: need index 2 but have 1 total.");
  EXPECT_EQ(error_of("format(\"%s\", \"a\", \"b\")"),
            "format: too many arguments; only 1 used by format string.");
  EXPECT_EQ(error_of("format(\"%d\", 1.5)"),
            "format: unsupported value for \"%d\" at 0: an integer is required.");
  EXPECT_EQ(error_of("format(\"%d\", \"x\")"),
            "format: unsupported value for \"%d\" at 0: a number is required.");
  EXPECT_EQ(error_of("format(\"%s\", null)"),
            "format: unsupported value for \"%s\" at 0: null value cannot be formatted.");
  EXPECT_EQ(error_of("format(\"%s\", [1])"),
            "format: unsupported value for \"%s\" at 0: a string is required.");
  EXPECT_EQ(error_of("format(\"%z\", 1)"),
            "format: unsupported format verb 'z' in \"%z\" at offset 0.");
  EXPECT_EQ(error_of("format(\"abc%\")"), "format: unterminated format verb at offset 3.");
  EXPECT_EQ(error_of("format(\"%99999999s\", \"\")"),
            "format: width or precision too large in format string.");
}

TEST(HclFunctions, Formatlist) {
  EXPECT_EQ(eval("formatlist(\"%s=%s\", [\"a\", \"b\"], \"x\")"), strings({"a=x", "b=x"}));
  EXPECT_EQ(eval("formatlist(\"%s:%d\", [\"a\", \"b\"], [1, 2])"), strings({"a:1", "b:2"}));
  EXPECT_EQ(eval("formatlist(\"x\")"), strings({"x"}));
  EXPECT_EQ(error_of("formatlist(\"%s%s\", [\"a\"], [\"b\", \"c\"])"),
            "formatlist: argument 2 has length 2, which is inconsistent with the previous "
            "length 1.");
}

TEST(HclFunctions, JoinSplitConcat) {
  EXPECT_EQ(eval("join(\",\", [\"a\", \"b\"], [\"c\"])"), str("a,b,c"));
  EXPECT_EQ(eval("join(\"-\", [1, true])"), str("1-true"));
  EXPECT_EQ(eval("join(\",\", [])"), str(""));
  EXPECT_EQ(error_of("join(\",\", [\"a\", null])"),
            "join: element 1 is null; cannot concatenate null values.");
  EXPECT_EQ(error_of("join(\",\", \"a\")"),
            "join: invalid value for \"lists\" parameter: a list, tuple or set is required, not "
            "a string.");
  EXPECT_EQ(eval("split(\",\", \"a,b,,c\")"), strings({"a", "b", "", "c"}));
  EXPECT_EQ(eval("split(\",\", \"\")"), strings({""}));
  EXPECT_EQ(eval("split(\"\", \"hé\")"), strings({"h", "é"}));
  EXPECT_EQ(eval("concat([1], [2, 3])"), Value::tuple({num(1), num(2), num(3)}));
  EXPECT_EQ(eval("concat(tolist([\"a\"]), tolist([\"b\"]))"), strings({"a", "b"}));
  EXPECT_EQ(error_of("concat([1], 2)"),
            "concat: invalid value for \"seqs\" parameter: a list, tuple or set is required, not "
            "a number.");
}

TEST(HclFunctions, MergeLookupKeysValues) {
  EXPECT_EQ(eval("merge({a = 1, b = 2}, {b = 3}, null)"),
            Value::object({{"a", num(1)}, {"b", num(3)}}));
  EXPECT_EQ(eval("merge(map, map)").kind(), hcl::Kind::Map);
  EXPECT_EQ(eval("merge()"), Value::map({}));
  EXPECT_EQ(error_of("merge({}, 1)"),
            "merge: invalid value for \"maps\" parameter: a map or object is required, not a "
            "number.");
  EXPECT_EQ(eval("lookup(map, \"a\")"), str("1"));
  EXPECT_EQ(eval("lookup(map, \"z\", \"dflt\")"), str("dflt"));
  EXPECT_EQ(eval("lookup(obj, \"b\", \"dflt\")"), str("x"));
  EXPECT_EQ(error_of("lookup(map, \"z\")"), "lookup: lookup failed to find key \"z\".");
  EXPECT_EQ(eval("keys({b = 1, a = 2})"), strings({"a", "b"}));
  EXPECT_EQ(eval("values(map)"), strings({"1", "2"}));
  EXPECT_EQ(eval("values({b = 1, a = 2})"), Value::tuple({num(2), num(1)}));
  EXPECT_EQ(eval("zipmap([\"a\", \"b\"], [1, 2])"), Value::object({{"a", num(1)}, {"b", num(2)}}));
  EXPECT_EQ(error_of("zipmap([\"a\"], [])"),
            "zipmap: number of keys (1) does not match number of values (0).");
}

TEST(HclFunctions, ElementLengthContainsIndex) {
  EXPECT_EQ(eval("element([\"a\", \"b\"], 3)"), str("b"));  // wraps around
  EXPECT_EQ(error_of("element([], 0)"), "element: cannot use element function with an empty list.");
  EXPECT_EQ(error_of("element([1], -1)"),
            "element: cannot use element function with a negative index.");
  // Nomad's length is cty's: collections only (strlen counts a string's characters).
  EXPECT_EQ(eval("length([1, 2])"), num(2));
  EXPECT_EQ(eval("length(map)"), num(2));
  EXPECT_EQ(error_of("length(\"héllo\")"),
            "length: collection must be a list, a map or a tuple, not string (strlen counts the "
            "characters of a string).");
  EXPECT_EQ(error_of("length(obj)"),
            "length: collection must be a list, a map or a tuple, not object.");
  EXPECT_EQ(error_of("length(null)"),
            "length: invalid value for \"collection\" parameter: argument must not be null.");
  EXPECT_EQ(eval("contains([\"a\", \"b\"], \"b\")"), Value::boolean(true));
  EXPECT_EQ(eval("contains([1], \"1\")"), Value::boolean(false));
  // Nomad's index is cty's: the element at a key, not the position of an element.
  EXPECT_EQ(eval("index([\"a\", \"b\"], 1)"), str("b"));
  EXPECT_EQ(eval("index(map, \"b\")"), str("2"));
  EXPECT_EQ(eval("index(obj, \"a\")"), num(1));
  EXPECT_EQ(error_of("index([\"a\"], 1)"), "index: invalid index.");
  EXPECT_EQ(error_of("index([\"a\"], 0.5)"), "index: invalid index.");
  EXPECT_EQ(error_of("index([\"a\", \"b\"], \"b\")"), "index: key for tuple must be number.");
  EXPECT_EQ(error_of("index(map, \"z\")"), "index: invalid index.");
}

TEST(HclFunctions, CoalesceCompactDistinctFlatten) {
  EXPECT_EQ(eval("coalesce(null, \"a\", \"b\")"), str("a"));
  EXPECT_EQ(eval("coalesce(null, 1, \"b\")"), str("1"));  // unified to string
  EXPECT_EQ(error_of("coalesce(null, null)"), "coalesce: no non-null arguments.");
  EXPECT_EQ(eval("coalescelist([], [1], [2])"), Value::tuple({num(1)}));
  EXPECT_EQ(error_of("coalescelist([], [])"), "coalescelist: no non-null arguments.");
  EXPECT_EQ(eval("compact([\"a\", \"\", null, \"b\"])"), strings({"a", "b"}));
  EXPECT_EQ(eval("distinct([\"a\", \"b\", \"a\"])"), Value::tuple({str("a"), str("b")}));
  EXPECT_EQ(eval("flatten([[1, [2]], [], 3])"), Value::list({num(1), num(2), num(3)}));
  // cty's reverse is of strings; lists are reversed too (Terraform's meaning, an error in cty).
  EXPECT_EQ(eval("reverse([1, 2, 3])"), Value::tuple({num(3), num(2), num(1)}));
  EXPECT_EQ(eval("reverse(\"abc\")"), str("cba"));
}

TEST(HclFunctions, SliceSortChunklist) {
  EXPECT_EQ(eval("slice([1, 2, 3, 4], 1, 3)"), Value::tuple({num(2), num(3)}));
  EXPECT_EQ(eval("slice([1], 1, 1)"), Value::tuple({}));
  EXPECT_EQ(error_of("slice([1, 2], 2, 1)"),
            "slice: invalid value for \"start_index\" parameter: start index must not be greater "
            "than end index.");
  EXPECT_EQ(error_of("slice([1, 2], 0, 3)"),
            "slice: invalid value for \"end_index\" parameter: end index must not be greater "
            "than the length of the list.");
  EXPECT_EQ(error_of("slice([1, 2], -1, 1)"),
            "slice: invalid value for \"start_index\" parameter: start index must not be less "
            "than zero.");
  EXPECT_EQ(eval("sort([\"b\", \"a\", \"10\", \"9\"])"), strings({"10", "9", "a", "b"}));
  EXPECT_EQ(error_of("sort([\"a\", null])"),
            "sort: invalid value for \"list\" parameter: element 1: a string is required.");
  EXPECT_EQ(eval("chunklist([1, 2, 3], 2)"),
            Value::list({Value::list({num(1), num(2)}), Value::list({num(3)})}));
  EXPECT_EQ(error_of("chunklist([1], -1)"),
            "chunklist: invalid value for \"size\" parameter: the size argument must be "
            "positive.");
}

TEST(HclFunctions, Sets) {
  EXPECT_EQ(eval("setunion([\"b\"], [\"a\", \"b\"])"), Value::set({str("a"), str("b")}));
  EXPECT_EQ(eval("setintersection([\"a\", \"b\"], [\"b\", \"c\"])"), Value::set({str("b")}));
  EXPECT_EQ(eval("toset([\"b\", \"a\", \"b\"])"), Value::set({str("a"), str("b")}));
}

TEST(HclFunctions, Strings) {
  EXPECT_EQ(eval("upper(\"héllo\")"), str("HÉLLO"));
  EXPECT_EQ(eval("lower(\"ÀB\")"), str("àb"));
  EXPECT_EQ(eval("title(\"hello big-world\")"), str("Hello Big-World"));
  EXPECT_EQ(eval("title(\"it's snake_case\")"), str("It'S Snake_case"));  // Go's strings.Title
  EXPECT_EQ(eval("trim(\"?!hi?!\", \"!?\")"), str("hi"));
  EXPECT_EQ(eval("trimprefix(\"helloworld\", \"hello\")"), str("world"));
  EXPECT_EQ(eval("trimprefix(\"hello\", \"x\")"), str("hello"));
  EXPECT_EQ(eval("trimsuffix(\"helloworld\", \"world\")"), str("hello"));
  EXPECT_EQ(eval("trimspace(\"  a b \\n\")"), str("a b"));
  EXPECT_EQ(eval("chomp(\"a\\n\\r\\n\")"), str("a"));
  EXPECT_EQ(eval("indent(2, \"a\\nb\\n\")"), str("a\n  b\n  "));
  EXPECT_EQ(eval("substr(\"hello\", 1, 3)"), str("ell"));
  EXPECT_EQ(eval("substr(\"hello\", -3, -1)"), str("llo"));
  EXPECT_EQ(eval("substr(\"héllo\", 1, 1)"), str("é"));
  EXPECT_EQ(eval("substr(\"abc\", 10, 1)"), str(""));
  EXPECT_EQ(eval("strrev(\"abé\")"), str("éba"));
  // Characters are grapheme clusters: a letter with its combining accent, a flag.
  EXPECT_EQ(eval("strrev(\"ae\\u0301\")"), str("e\u0301a"));
  EXPECT_EQ(eval("strlen(\"e\\u0301🇫🇷x\")"), num(3));
  EXPECT_EQ(eval("substr(\"e\\u0301bc\", 0, 2)"), str("e\u0301b"));
  EXPECT_EQ(eval("substr(\"hello\", 1, 0)"), str(""));
  EXPECT_EQ(eval("substr(\"hello\", -2, 0)"), str("lo"));  // cty's quirk
  EXPECT_EQ(error_of("upper(null)"),
            "upper: invalid value for \"str\" parameter: argument must not be null.");
  EXPECT_EQ(error_of("upper([])"),
            "upper: invalid value for \"str\" parameter: a string is required.");
  EXPECT_EQ(error_of("substr(\"a\", 0.5, 1)"),
            "substr: invalid value for \"offset\" parameter: a whole number is required, not 0.5.");
}

TEST(HclFunctions, ReplaceAndRegex) {
  EXPECT_EQ(eval("replace(\"a-b-c\", \"-\", \"+\")"), str("a+b+c"));
  // Nomad's replace is literal: a /pattern/ is text; regex_replace takes patterns.
  EXPECT_EQ(eval("replace(\"a/o/b\", \"/o/\", \"0\")"), str("a0b"));
  EXPECT_EQ(eval("replace(\"ab\", \"\", \"-\")"), str("-a-b-"));
  EXPECT_EQ(eval("regex_replace(\"hello world\", \"o(\\\\w)?\", \"0$1\")"), str("hell0 w0rld"));
  EXPECT_EQ(
      eval("regex_replace(\"2024-01-02\", \"(?P<y>\\\\d+)-(\\\\d+)-(\\\\d+)\", \"$3/$2/$${y}\")"),
      str("02/01/2024"));
  EXPECT_EQ(eval("regex_replace(\"abc\", \"x*\", \"-\")"), str("-a-b-c-"));
  EXPECT_EQ(eval("regex(\"[a-z]+\", \"123abc456\")"), str("abc"));
  EXPECT_EQ(eval("regex(\"(\\\\d+)-(\\\\d+)\", \"v10-20\")"), strings({"10", "20"}));
  EXPECT_EQ(eval("regex(\"(?P<major>\\\\d+)\\\\.(?P<minor>\\\\d+)\", \"v1.2\")"),
            Value::object({{"major", str("1")}, {"minor", str("2")}}));
  EXPECT_EQ(eval("regex(\"(?i)ABC\", \"xabcx\")"), str("abc"));
  EXPECT_EQ(eval("regexall(\"\\\\d\", \"a1b2\")"), strings({"1", "2"}));
  EXPECT_EQ(eval("regexall(\"x\", \"abc\")"), Value::list({}));
  EXPECT_EQ(eval("length(regexall(\"(\\\\w)(\\\\d)\", \"a1b2\"))"), num(2));
  EXPECT_EQ(error_of("regex(\"z\", \"abc\")"),
            "regex: pattern did not match any part of the given string.");
  EXPECT_EQ(error_of("regex(\"(\", \"abc\")").rfind("regex: invalid regular expression \"(\"", 0),
            0u);
  EXPECT_EQ(error_of("regex(\"(?P<a>x)(y)\", \"xy\")"),
            "regex: invalid regular expression: may not mix named and unnamed capture groups.");
}

TEST(HclFunctions, RegexIsBoundedOnHostileInput) {
  const auto start = std::chrono::steady_clock::now();
  // Backtracking matchers take exponential time or overflow the stack here.
  std::string error = error_of("regex(\"(a|aa)*b\", \"" + std::string(1000, 'a') + "\")");
  EXPECT_EQ(error, "regex: pattern did not match any part of the given string.");
  error = error_of("regex(\"a*\", \"" + std::string(1025, 'a') + "\")");
  EXPECT_EQ(error, "regex: the string to match is longer than 1024 bytes.");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

// Found in review: counted repetitions make a short pattern a large automaton, which the
// polynomial matcher then runs from every start of the string (this one ran for minutes).
TEST(HclFunctions, RegexRefusesAPatternTooLargeForItsString) {
  const std::string spaces(1024, ' ');
  std::string error = error_of("regexall(\"(?:(?: ?){90}){90}x\", \"" + spaces + "\")");
  EXPECT_EQ(error.rfind("regexall: the pattern (about 24391 states with its repetitions) is too "
                        "large to match against a string of 1024 bytes",
                        0),
            0u)
      << error;
  EXPECT_NE(error_of("regex_replace(\"" + spaces + "\", \"( ?){30}\", \"\")").find("too large"),
            std::string::npos);
  // The same pattern against a short string, and an ordinary one against a long string, run.
  EXPECT_EQ(eval("length(regexall(\"(?: ?){30}x\", \"   x\"))"), num(1));
  EXPECT_EQ(eval("regex(\"^(?P<host>[a-z0-9-]+)\\\\.(?P<domain>.*)$\", \"web-1." +
                 std::string(1000, 'a') + "\")")
                .attributes()
                .at("host"),
            str("web-1"));
}

TEST(HclFunctions, Encoding) {
  EXPECT_EQ(eval("jsonencode({b = [1, true, null], a = \"x\"})"),
            str(R"({"a":"x","b":[1,true,null]})"));
  EXPECT_EQ(
      eval("jsondecode(\"{\\\"a\\\": [1, 2.5, \\\"x\\\", false, null], \\\"b\\\": {}}\")"),
      Value::object(
          {{"a", Value::tuple({num(1), num(2.5), str("x"), Value::boolean(false), Value::null()})},
           {"b", Value::object({})}}));
  EXPECT_EQ(eval("jsondecode(\"\\\"\\\\u00e9\\\\ud83d\\\\ude00\\\"\")"), str("é😀"));
  EXPECT_EQ(error_of("jsondecode(\"{\")"),
            "jsondecode: invalid JSON at offset 1: an object key must be a string.");
  EXPECT_EQ(error_of("jsondecode(\"[1] x\")"),
            "jsondecode: invalid JSON at offset 4: extra characters after the JSON value.");
  EXPECT_EQ(error_of("jsondecode(\"" + std::string(100000, '[') + "\")"),
            "jsondecode: invalid JSON at offset 513: nested too deeply.");
  EXPECT_EQ(error_of("jsonencode(pow(10, 400))"), "jsonencode: cannot serialize infinity as JSON.");
  EXPECT_EQ(eval("base64encode(\"hello\")"), str("aGVsbG8="));
  EXPECT_EQ(eval("base64decode(\"aGVsbG8=\")"), str("hello"));
  EXPECT_EQ(eval("base64decode(base64encode(\"ab\"))"), str("ab"));
  EXPECT_EQ(error_of("base64decode(\"a\")"), "base64decode: failed to decode base64 data \"a\".");
  EXPECT_EQ(error_of("base64decode(\"/w==\")"),
            "base64decode: the result of decoding the provided string is not valid UTF-8.");
  EXPECT_EQ(eval("urlencode(\"a b&c=d/é\")"), str("a+b%26c%3Dd%2F%C3%A9"));
  EXPECT_EQ(eval("yamlencode({a = [1, \"x\"], b = \"true\"})"), str("a:\n- 1\n- x\nb: \"true\"\n"));
}

TEST(HclFunctions, Digests) {
  EXPECT_EQ(eval("md5(\"\")"), str("d41d8cd98f00b204e9800998ecf8427e"));
  EXPECT_EQ(eval("md5(\"hello world\")"), str("5eb63bbbe01eeed093cb22bb8f5acdc3"));
  EXPECT_EQ(eval("sha1(\"hello world\")"), str("2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"));
  EXPECT_EQ(eval("sha256(\"hello world\")"),
            str("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"));
  // Two blocks: the padding spills into a second one.
  EXPECT_EQ(eval("sha256(\"" + std::string(60, 'a') + "\")"),
            str("11ee391211c6256460b6ed375957fadd8061cafbb31daf967db875aebd5aaad4"));
  EXPECT_EQ(eval("sha512(\"\")"),
            str("cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff"
                "8318d2877eec2f63b931bd47417a81a538327af927da3e"));
  EXPECT_EQ(eval("sha512(\"hello world\")"),
            str("309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f989dd35bc5ff499670"
                "da34255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f"));
  EXPECT_EQ(eval("sha512(\"" + std::string(120, 'a') + "\")"),
            str("f241de612b01aa2fa3cf01531d2a8e5e17fc761dfd48a704a834a47f57d6eade7804ecc39be42fdef1"
                "6ec6adeaf7c01c2fd0c4cc97d3860907cfa4a3b36d0c05"));
}

TEST(HclFunctions, Uuidv5) {
  EXPECT_EQ(eval("uuidv5(\"dns\", \"example.com\")"), str("cfbff0d1-9375-5685-968c-48ce8b15ae17"));
  EXPECT_EQ(eval("uuidv5(\"12345678-1234-5678-1234-567812345678\", \"x\")"),
            str("a3fabe7b-db47-50ac-bb4f-d93e4e254857"));
  EXPECT_EQ(error_of("uuidv5(\"nope\", \"x\")"),
            "uuidv5: uuidv5() doesn't support namespace nope.");
}

TEST(HclFunctions, Cidr) {
  EXPECT_EQ(eval("cidrhost(\"10.12.112.0/20\", 16)"), str("10.12.112.16"));
  EXPECT_EQ(eval("cidrhost(\"10.12.112.0/20\", 268)"), str("10.12.113.12"));
  EXPECT_EQ(eval("cidrhost(\"10.0.0.0/24\", -1)"), str("10.0.0.255"));
  EXPECT_EQ(eval("cidrhost(\"fd00:fd12:3456:7890:00a2::/72\", 34)"),
            str("fd00:fd12:3456:7890::22"));
  EXPECT_EQ(error_of("cidrhost(\"10.0.0.0/30\", 4)"),
            "cidrhost: prefix of 30 does not accommodate a host numbered 4.");
  EXPECT_EQ(eval("cidrnetmask(\"172.16.0.0/12\")"), str("255.240.0.0"));
  EXPECT_EQ(eval("cidrsubnet(\"172.16.0.0/12\", 4, 2)"), str("172.18.0.0/16"));
  EXPECT_EQ(eval("cidrsubnet(\"10.1.2.0/24\", 4, 15)"), str("10.1.2.240/28"));
  EXPECT_EQ(eval("cidrsubnet(\"fd00:fd12:3456:7890::/56\", 16, 162)"),
            str("fd00:fd12:3456:7800:a200::/72"));
  EXPECT_EQ(error_of("cidrsubnet(\"10.0.0.0/30\", 4, 0)"),
            "cidrsubnet: insufficient address space to extend prefix of 30 by 4.");
  EXPECT_EQ(error_of("cidrsubnet(\"10.0.0.0/8\", 2, 4)"),
            "cidrsubnet: prefix extension of 2 does not accommodate a subnet numbered 4.");
  EXPECT_EQ(eval("cidrsubnets(\"10.1.0.0/16\", 4, 4, 8, 4)"),
            strings({"10.1.0.0/20", "10.1.16.0/20", "10.1.32.0/24", "10.1.48.0/20"}));
  EXPECT_EQ(error_of("cidrhost(\"10.0.0/8\", 1)"),
            "cidrhost: invalid value for \"prefix\" parameter: invalid CIDR expression: invalid "
            "CIDR address: 10.0.0/8.");
}

TEST(HclFunctions, Numeric) {
  EXPECT_EQ(eval("abs(-3)"), num(3));
  EXPECT_EQ(eval("min(3, 1, 2)"), num(1));
  EXPECT_EQ(eval("max(\"3\", 10)"), num(10));
  EXPECT_EQ(eval("ceil(1.2)"), num(2));
  EXPECT_EQ(eval("floor(-1.2)"), num(-2));
  EXPECT_EQ(eval("log(8, 2)"), num(3));
  EXPECT_EQ(eval("pow(2, 10)"), num(1024));
  EXPECT_EQ(eval("signum(-4)"), num(-1));
  EXPECT_EQ(eval("parseint(\"ff\", 16)"), num(255));
  EXPECT_EQ(eval("parseint(\"-101\", 2)"), num(-5));
  EXPECT_EQ(error_of("parseint(\"12\", 2)"),
            "parseint: invalid value for \"number\" parameter: cannot parse \"12\" as a base 2 "
            "integer.");
  EXPECT_EQ(error_of("parseint(\"1\", 99)"),
            "parseint: invalid value for \"base\" parameter: base must be a whole number between "
            "2 and 62 inclusive.");
  EXPECT_EQ(error_of("abs(\"x\")"),
            "abs: invalid value for \"num\" parameter: a number is required.");
}

TEST(HclFunctions, Range) {
  EXPECT_EQ(eval("range(3)"), Value::list({num(0), num(1), num(2)}));
  EXPECT_EQ(eval("range(1, 3)"), Value::list({num(1), num(2)}));
  EXPECT_EQ(eval("range(3, 1)"), Value::list({num(3), num(2)}));
  EXPECT_EQ(eval("range(0, 1, 0.5)"), Value::list({num(0), num(0.5)}));
  EXPECT_EQ(eval("range(-2)"), Value::list({num(0), num(-1)}));
  EXPECT_EQ(eval("length(range(1024))"), num(1024));
  EXPECT_EQ(error_of("range(0, 1, 0)"),
            "range: invalid value for \"step\" parameter: step must not be zero.");
  EXPECT_EQ(error_of("range(0, 5, -1)"),
            "range: invalid value for \"limit\" parameter: end must be less than start when step "
            "is negative.");
  EXPECT_EQ(error_of("range(1025)"),
            "range: more than 1024 values were generated; either decrease the difference "
            "between start and end or use a smaller step.");
}

TEST(HclFunctions, Conversions) {
  EXPECT_EQ(eval("tostring(5)"), str("5"));
  EXPECT_EQ(eval("tostring(null)"), Value::null());
  EXPECT_EQ(eval("tonumber(\"5.5\")"), num(5.5));
  EXPECT_EQ(eval("tobool(\"true\")"), Value::boolean(true));
  EXPECT_EQ(eval("tolist([\"a\", 1])"), strings({"a", "1"}));
  EXPECT_EQ(eval("tomap({a = 1, b = \"x\"})"), Value::map({{"a", str("1")}, {"b", str("x")}}));
  EXPECT_EQ(error_of("tostring([])"), "tostring: cannot convert tuple to string.");
  EXPECT_EQ(error_of("tonumber(\"x\")"),
            "tonumber: cannot convert \"x\" to number; given string must be a decimal "
            "representation of a number.");
  EXPECT_EQ(error_of("tobool(\"yes\")"),
            "tobool: cannot convert \"yes\" to bool; only the strings \"true\" or \"false\" are "
            "allowed.");
  EXPECT_EQ(error_of("tolist([1, true])"),
            "tolist: cannot convert tuple to list: all list elements must have the same type.");
  EXPECT_EQ(error_of("tomap([])"), "tomap: cannot convert tuple to map.");
}

TEST(HclFunctions, UuidAndTimestamp) {
  const std::string uuid = eval("uuidv4()").as_string();
  EXPECT_TRUE(std::regex_match(
      uuid, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << uuid;
  EXPECT_NE(uuid, eval("uuidv4()").as_string());
  EXPECT_TRUE(std::regex_match(eval("timestamp()").as_string(),
                               std::regex("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ")));
}

class HclFileFunctions : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("hcl_functions_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    functions_ = hcl::standard_functions({dir_.string()});
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name, std::ios::binary) << content;
  }
  Value run(std::string_view source) { return eval_with(source, functions_); }
  std::string error_of(std::string_view source) {
    try {
      run(source);
    } catch (const hcl::DiagnosticError& error) {
      return error.diagnostics().front().detail;
    }
    return "no error";
  }

  std::filesystem::path dir_;
  hcl::FunctionTable functions_;
};

TEST_F(HclFileFunctions, File) {
  write("a.txt", "hello\n");
  EXPECT_EQ(run("file(\"a.txt\")"), str("hello\n"));
  EXPECT_EQ(run("fileexists(\"a.txt\")"), Value::boolean(true));
  EXPECT_EQ(run("fileexists(\"nope.txt\")"), Value::boolean(false));
  EXPECT_EQ(error_of("file(\"nope.txt\")").rfind("file: no file exists at \"nope.txt\"", 0), 0u);
  write("bad.bin", "\xff\xfe");
  EXPECT_EQ(error_of("file(\"bad.bin\")"), "file: contents of \"bad.bin\" are not valid UTF-8.");
  std::filesystem::create_directory(dir_ / "sub");
  EXPECT_EQ(error_of("file(\"sub\")"), "file: \"sub\" is a directory, not a file.");
}

TEST_F(HclFileFunctions, Templatefile) {
  write("t.tpl", "Hello ${name}!%{ for p in ports } ${p}%{ endfor }\n${upper(name)}");
  EXPECT_EQ(run("templatefile(\"t.tpl\", {name = \"web\", ports = [80, 443]})"),
            str("Hello web! 80 443\nWEB"));
  EXPECT_EQ(error_of("templatefile(\"t.tpl\", {name = \"web\"})"),
            "There is no variable named \"ports\".");
  write("self.tpl", "${templatefile(\"self.tpl\", {})}");
  EXPECT_EQ(error_of("templatefile(\"self.tpl\", {})"),
            "templatefile: cannot recursively call templatefile from inside another "
            "templatefile call.");
  EXPECT_EQ(error_of("templatefile(\"t.tpl\", {\"no way\" = 1})"),
            "templatefile: invalid value for \"vars\" parameter: invalid template variable name "
            "\"no way\": must start with a letter, followed by zero or more letters, digits, "
            "and underscores.");
}

TEST_F(HclFileFunctions, PathsAndFileset) {
  write("a.txt", "hi");
  std::filesystem::create_directories(dir_ / "sub/deep");
  write("sub/b.txt", "");
  write("sub/c.md", "");
  write("sub/deep/d.txt", "");
  EXPECT_EQ(run("filebase64(\"a.txt\")"), str("aGk="));
  EXPECT_EQ(run("basename(\"/a/b/c.txt\")"), str("c.txt"));
  EXPECT_EQ(run("basename(\"a/b/\")"), str("b"));
  EXPECT_EQ(run("dirname(\"/a/b/c.txt\")"), str("/a/b"));
  EXPECT_EQ(run("dirname(\"c.txt\")"), str("."));
  EXPECT_EQ(run("abspath(\"/a/./b/../c\")"), str("/a/c"));
  EXPECT_EQ(error_of("pathexpand(\"~bob/x\")"),
            "pathexpand: cannot expand user-specific home dir.");
  EXPECT_EQ(run("pathexpand(\"/x/~\")"), str("/x/~"));
  EXPECT_EQ(run("fileset(\".\", \"*.txt\")"), Value::set({str("a.txt")}));
  EXPECT_EQ(run("fileset(\".\", \"**/*.txt\")"),
            Value::set({str("a.txt"), str("sub/b.txt"), str("sub/deep/d.txt")}));
  EXPECT_EQ(run("fileset(\"sub\", \"{*.md,deep/?.txt}\")"),
            Value::set({str("c.md"), str("deep/d.txt")}));
  EXPECT_EQ(run("fileset(\"sub\", \"[a-b].*\")"), Value::set({str("b.txt")}));
  EXPECT_EQ(run("fileset(\".\", \"nothing*\")"), Value::set({}));
}

TEST(HclFunctions, Convert) {
  EXPECT_EQ(eval("convert([1, true], list(string))"), strings({"1", "true"}));
  EXPECT_EQ(eval("convert({ a = 1 }, map(string))"), Value::map({{"a", str("1")}}));
  EXPECT_THROW(eval("convert(\"x\", number)"), hcl::DiagnosticError);
}

TEST(HclFunctions, DatesAndCsv) {
  EXPECT_EQ(eval("formatdate(\"DD MMM YYYY hh:mm ZZZ\", \"2024-02-29T15:04:05Z\")"),
            str("29 Feb 2024 15:04 UTC"));
  EXPECT_EQ(eval("formatdate(\"EEEE h:mm aa ZZZZZ\", \"2024-03-05T00:30:00-07:00\")"),
            str("Tuesday 0:30 am -07:00"));
  EXPECT_EQ(error_of("formatdate(\"YYY\", \"2024-03-05T10:00:00Z\")"),
            "formatdate: invalid value for \"format\" parameter: invalid date format verb \"YYY\": "
            "year must either be \"YY\" or \"YYYY\".");
  EXPECT_EQ(error_of("formatdate(\"YYYY\", \"2023-02-29T00:00:00Z\")"),
            "formatdate: invalid value for \"time\" parameter: not a valid RFC3339 timestamp: "
            "day out of range.");
  EXPECT_EQ(eval("timeadd(\"2024-12-31T23:00:00+01:00\", \"90m\")"),
            str("2025-01-01T00:30:00+01:00"));
  EXPECT_EQ(error_of("timeadd(\"2024-03-05T10:00:00Z\", \"1d\")"),
            "timeadd: time: invalid duration \"1d\".");
  EXPECT_EQ(eval("csvdecode(\"a,b\\n1,\\\"x,y\\\"\\n\")"),
            Value::list({Value::object({{"a", str("1")}, {"b", str("x,y")}})}));
  EXPECT_EQ(error_of("csvdecode(\"a,b\\n1\\n\")"),
            "csvdecode: parse error on line 2: wrong number of fields.");
  EXPECT_EQ(eval("setproduct([\"a\"], [1, 2])"),
            Value::list({Value::tuple({str("a"), num(1)}), Value::tuple({str("a"), num(2)})}));
}

TEST(HclFunctionsDisabled, FileFunctionsNeedABaseDirectory) {
  EXPECT_EQ(error_of("file(\"/etc/hostname\")"),
            "file: file functions are disabled here (no base directory was given).");
  EXPECT_EQ(error_of("basename(\"/a/b\")"),
            "basename: filesystem functions are disabled here (no base directory was given).");
}

}  // namespace
