// hcl-structure: a test tool that parses an HCL file with HashiCorp's own parser (hclsyntax)
// and prints what it found as canonical JSON, so that tests/unit/hcl_differential_test.cc
// can compare our parser (src/hcl) with it file by file.
//
//	hcl-structure [-eval VARS_FILE] FILE
//
// Built in GOPATH mode against Debian's Go packages (see CMakeLists.txt in this directory).
package main

import (
	"fmt"
	"os"
)

const usage = `usage: hcl-structure [-eval VARS_FILE] FILE
  Parses FILE (HCL native syntax) with hclsyntax and prints its structure as canonical
  JSON (canonical_json.go) on stdout:
    body:      {"attributes": {NAME: VALUE, ... sorted by name}, "blocks": [BLOCK, ...]}
    block:     {"type": TYPE, "labels": [LABEL, ...], "body": BODY}
    VALUE:     the attribute's value when its expression evaluates with no variables and
               no functions (literals, templates without references, operators, for
               expressions over literals...), else "<expr:KIND>" with KIND the hclsyntax
               type of the expression (TemplateExpr, ScopeTraversalExpr, FunctionCallExpr,
               ForExpr, ConditionalExpr, BinaryOpExpr, ...; structure.go).
  A file that does not parse prints {"error": {"line": L, "column": C, "summary": S}}: the
  error diagnostic that starts first in the file. Exit 0 in both cases.
  -eval VARS_FILE: evaluate with a context instead: the attributes of VARS_FILE (each
  evaluated with no variables and no functions) are the variables, and the functions are
  those of cty's stdlib under the names Nomad's job files use (eval.go). An attribute that
  fails prints "<error:SUMMARY>".
  Exit 2 for bad usage or an unreadable file.
`

func main() {
	args := os.Args[1:]
	varsFile := ""
	if len(args) == 3 && args[0] == "-eval" {
		varsFile = args[1]
		args = args[2:]
	}
	if len(args) != 1 || (len(args[0]) > 0 && args[0][0] == '-') {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var mode evalMode = literalMode{}
	if varsFile != "" {
		ctx, err := evalContextFrom(varsFile)
		if err != nil {
			fmt.Fprintf(os.Stderr, "hcl-structure: %s\n", err)
			os.Exit(2)
		}
		mode = contextMode{ctx}
	}
	src, err := os.ReadFile(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "hcl-structure: %s\n", err)
		os.Exit(2)
	}
	fmt.Print(render(describeFile(src, args[0], mode)))
}
