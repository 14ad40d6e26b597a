package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"
	ctymsgpack "github.com/zclconf/go-cty/cty/msgpack"
)

func runEncode(args []string) int {
	flags := flag.NewFlagSet("encode", flag.ContinueOnError)
	flags.SetOutput(os.Stderr)
	jsonConfig := flags.Bool("json", false, "CONFIG_FILE is the JSON object of Nomad's API, decoded as HCL JSON (hclutils.ParseHclInterface)")
	impliedType := flags.Bool("implied-type", false, "marshal with the spec's implied type instead of the value's type (NOT what Nomad does)")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if flags.NArg() != 2 {
		fmt.Fprint(os.Stderr, usage)
		return 2
	}
	specPath, configPath := flags.Arg(0), flags.Arg(1)

	specJSON, err := os.ReadFile(specPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "nomad-plugin-client: %v\n", err)
		return 2
	}
	if !json.Valid(specJSON) {
		fmt.Fprintf(os.Stderr, "nomad-plugin-client: %s: not valid JSON\n", specPath)
		return 2
	}
	spec, err := convertSpec(specJSON, "", "spec")
	if err != nil {
		fmt.Fprintf(os.Stderr, "nomad-plugin-client: %s: %v\n", specPath, err)
		return 2
	}

	parser := hclparse.NewParser()
	var file *hcl.File
	var diags hcl.Diagnostics
	if *jsonConfig {
		// Nomad's client: the task's config map, JSON-encoded, parsed as HCL JSON syntax.
		file, diags = parser.ParseJSONFile(configPath)
	} else {
		// The body of a task's config block, HCL native syntax.
		file, diags = parser.ParseHCLFile(configPath)
	}
	if diags.HasErrors() {
		writeDiagnostics(os.Stderr, parser, diags)
		return 1
	}
	// Like hclutils.ParseHclInterface: the stdlib functions, no variables here.
	ctx := &hcl.EvalContext{Functions: stdlibFunctions(), Variables: map[string]cty.Value{}}
	val, decodeDiags := hcldec.Decode(file.Body, spec, ctx)
	diags = append(diags, decodeDiags...)
	if diags.HasErrors() {
		writeDiagnostics(os.Stderr, parser, diags)
		return 1
	}
	if len(diags) > 0 {
		writeDiagnostics(os.Stderr, parser, diags) // warnings
	}

	// Nomad's client (client/allocrunner/taskrunner, TaskConfig.EncodeDriverConfig in
	// plugins/drivers/driver.go) marshals with the VALUE's own type:
	// msgpack.Marshal(val, val.Type()). So an attribute of type "any" is written as the
	// concrete value (an object as a map, a tuple as an array), never as cty's dynamic
	// [type-json, value] wrapper that marshalling with the spec's implied type would give.
	// The plugin's own config for SetConfig is encoded the same way
	// (helper/pluginutils/loader: ParseHclInterface, then msgpack.Marshal(val, val.Type())).
	ty := val.Type()
	if *impliedType {
		ty = hcldec.ImpliedType(spec)
	}
	data, err := ctymsgpack.Marshal(val, ty)
	if err != nil {
		fmt.Fprintf(os.Stderr, "nomad-plugin-client: failed to encode driver config: %v\n", err)
		return 1
	}
	if _, err := os.Stdout.Write(data); err != nil {
		fmt.Fprintf(os.Stderr, "nomad-plugin-client: %v\n", err)
		return 2
	}
	return 0
}

func writeDiagnostics(w io.Writer, parser *hclparse.Parser, diags hcl.Diagnostics) {
	writer := hcl.NewDiagnosticTextWriter(w, parser.Files(), 100, false)
	_ = writer.WriteDiagnostics(diags)
}
