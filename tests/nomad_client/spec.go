package main

// Conversion of a hashicorp.nomad.plugins.shared.hclspec.Spec, given as proto3 JSON, into an
// hcldec.Spec with the rules of Nomad's client (plugins/shared/hclspec/dec.go and
// type_expr.go), written anew here:
//   - an object's attributes pass their map key down as the implied name of an Attr, Block,
//     BlockList, BlockSet or BlockMap without a name of its own; Default's primary and
//     default, Array's values and a block's nested spec get no implied name (so an Attr
//     there must name itself);
//   - an Attr's type is an HCL expression evaluated in a context where string, bool, number
//     and any (cty.DynamicPseudoType) are variables and list(T), set(T), map(T),
//     tuple([T, ...]) and object({name = T, ...}) are functions; the expression `null` is
//     "any" too, and an empty type is refused ("Missing expression"), as in Nomad;
//   - a Literal's value is an HCL expression evaluated with cty's stdlib functions (Nomad's
//     specFuncs); Default becomes hcldec.DefaultSpec (the default applies when the primary
//     is null);
//   - block_attrs has no case in Nomad's Convert: it is refused there as "Invalid spec
//     block", and so here;
//   - a block_map needs at least one label; block_list/block_set/block_map need a name.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hcldec"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// jsonMessage is one protobuf message in proto3 JSON: its fields by their original
// (snake_case) name, whichever of the original or the lowerCamelCase name the file used.
type jsonMessage map[string]json.RawMessage

func parseMessage(raw json.RawMessage, what string, fields ...string) (jsonMessage, error) {
	var obj map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil {
		return nil, fmt.Errorf("%s: not a JSON object: %v", what, err)
	}
	known := map[string]string{}
	for _, f := range fields {
		known[f] = f
		known[lowerCamel(f)] = f
	}
	msg := jsonMessage{}
	for key, value := range obj {
		name, ok := known[key]
		if !ok {
			return nil, fmt.Errorf("%s: unknown field %q (known: %s)", what, key, strings.Join(fields, ", "))
		}
		if _, dup := msg[name]; dup {
			return nil, fmt.Errorf("%s: field %q given twice", what, name)
		}
		if string(value) == "null" {
			continue // proto3 JSON: null is the field's default
		}
		msg[name] = value
	}
	return msg, nil
}

func lowerCamel(name string) string {
	parts := strings.Split(name, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

func (m jsonMessage) str(field, what string) (string, error) {
	raw, ok := m[field]
	if !ok {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%s.%s: not a string", what, field)
	}
	return s, nil
}

func (m jsonMessage) boolean(field, what string) (bool, error) {
	raw, ok := m[field]
	if !ok {
		return false, nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		return false, fmt.Errorf("%s.%s: not a boolean", what, field)
	}
	return b, nil
}

// uint64 fields are strings in proto3 JSON ("1"); numbers are accepted too.
func (m jsonMessage) count(field, what string) (int, error) {
	raw, ok := m[field]
	if !ok {
		return 0, nil
	}
	text := strings.Trim(string(raw), `"`)
	n, err := strconv.ParseUint(text, 10, 31)
	if err != nil {
		return 0, fmt.Errorf("%s.%s: not a count: %s", what, field, raw)
	}
	return int(n), nil
}

func (m jsonMessage) strings(field, what string) ([]string, error) {
	raw, ok := m[field]
	if !ok {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("%s.%s: not a list of strings", what, field)
	}
	return list, nil
}

// The Spec oneof, by original field name.
var specFields = []string{"object", "array", "Attr", "block_value", "block_attrs", "block_list",
	"block_set", "block_map", "default", "literal"}

// convertSpec converts one Spec message; impliedName is the object attribute it sits under.
func convertSpec(raw json.RawMessage, impliedName, path string) (hcldec.Spec, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, fmt.Errorf("%s: not a JSON object", path)
	}
	var kind string
	var body json.RawMessage
	for key, value := range obj {
		name := canonicalSpecField(key)
		if name == "" {
			return nil, fmt.Errorf("%s: unknown Spec field %q", path, key)
		}
		if string(value) == "null" {
			continue
		}
		if kind != "" {
			return nil, fmt.Errorf("%s: a Spec sets one of its oneof, not both %s and %s", path, kind, name)
		}
		kind, body = name, value
	}
	where := path + "." + kind
	switch kind {
	case "object":
		msg, err := parseMessage(body, where, "attributes")
		if err != nil {
			return nil, err
		}
		attrs := map[string]json.RawMessage{}
		if raw, ok := msg["attributes"]; ok {
			if err := json.Unmarshal(raw, &attrs); err != nil {
				return nil, fmt.Errorf("%s.attributes: not a JSON object", where)
			}
		}
		spec := hcldec.ObjectSpec{}
		names := make([]string, 0, len(attrs))
		for name := range attrs {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			sub, err := convertSpec(attrs[name], name, where+".attributes."+name)
			if err != nil {
				return nil, err
			}
			spec[name] = sub
		}
		return spec, nil
	case "array":
		msg, err := parseMessage(body, where, "values")
		if err != nil {
			return nil, err
		}
		var values []json.RawMessage
		if raw, ok := msg["values"]; ok {
			if err := json.Unmarshal(raw, &values); err != nil {
				return nil, fmt.Errorf("%s.values: not a JSON array", where)
			}
		}
		spec := hcldec.TupleSpec{}
		for i, value := range values {
			sub, err := convertSpec(value, "", fmt.Sprintf("%s.values[%d]", where, i))
			if err != nil {
				return nil, err
			}
			spec = append(spec, sub)
		}
		return spec, nil
	case "Attr":
		msg, err := parseMessage(body, where, "name", "type", "required")
		if err != nil {
			return nil, err
		}
		name, err := msg.str("name", where)
		if err != nil {
			return nil, err
		}
		if name == "" {
			name = impliedName
		}
		if name == "" {
			return nil, fmt.Errorf("%s: Missing name in attribute spec", where)
		}
		typeText, err := msg.str("type", where)
		if err != nil {
			return nil, err
		}
		ty, err := parseTypeString(typeText)
		if err != nil {
			return nil, fmt.Errorf("%s.type %q: %v", where, typeText, err)
		}
		required, err := msg.boolean("required", where)
		if err != nil {
			return nil, err
		}
		return &hcldec.AttrSpec{Name: name, Type: ty, Required: required}, nil
	case "block_value":
		msg, err := parseMessage(body, where, "name", "required", "nested")
		if err != nil {
			return nil, err
		}
		name, nested, err := blockCommon(msg, impliedName, where, false)
		if err != nil {
			return nil, err
		}
		required, err := msg.boolean("required", where)
		if err != nil {
			return nil, err
		}
		return &hcldec.BlockSpec{TypeName: name, Required: required, Nested: nested}, nil
	case "block_list", "block_set":
		msg, err := parseMessage(body, where, "name", "min_items", "max_items", "nested")
		if err != nil {
			return nil, err
		}
		name, nested, err := blockCommon(msg, impliedName, where, true)
		if err != nil {
			return nil, err
		}
		minItems, err := msg.count("min_items", where)
		if err != nil {
			return nil, err
		}
		maxItems, err := msg.count("max_items", where)
		if err != nil {
			return nil, err
		}
		if kind == "block_list" {
			return &hcldec.BlockListSpec{TypeName: name, MinItems: minItems, MaxItems: maxItems, Nested: nested}, nil
		}
		return &hcldec.BlockSetSpec{TypeName: name, MinItems: minItems, MaxItems: maxItems, Nested: nested}, nil
	case "block_map":
		msg, err := parseMessage(body, where, "name", "labels", "nested")
		if err != nil {
			return nil, err
		}
		name, nested, err := blockCommon(msg, impliedName, where, true)
		if err != nil {
			return nil, err
		}
		labels, err := msg.strings("labels", where)
		if err != nil {
			return nil, err
		}
		if len(labels) < 1 {
			return nil, fmt.Errorf("%s: Invalid block label name list: a block_map must have at least one label", where)
		}
		return &hcldec.BlockMapSpec{TypeName: name, LabelNames: labels, Nested: nested}, nil
	case "block_attrs":
		// Nomad's hclspec.Convert has no case for it: "Invalid spec block".
		return nil, fmt.Errorf("%s: Invalid spec block: Nomad's client does not convert block_attrs", where)
	case "default":
		msg, err := parseMessage(body, where, "primary", "default")
		if err != nil {
			return nil, err
		}
		for _, f := range []string{"primary", "default"} {
			if _, ok := msg[f]; !ok {
				return nil, fmt.Errorf("%s: no %s spec", where, f)
			}
		}
		primary, err := convertSpec(msg["primary"], "", where+".primary")
		if err != nil {
			return nil, err
		}
		def, err := convertSpec(msg["default"], "", where+".default")
		if err != nil {
			return nil, err
		}
		return &hcldec.DefaultSpec{Primary: primary, Default: def}, nil
	case "literal":
		msg, err := parseMessage(body, where, "value")
		if err != nil {
			return nil, err
		}
		text, err := msg.str("value", where)
		if err != nil {
			return nil, err
		}
		expr, diags := hclsyntax.ParseExpression([]byte(text), "literal", hcl.Pos{})
		if diags.HasErrors() {
			return nil, fmt.Errorf("%s.value %q: %s", where, text, diags.Error())
		}
		value, diags := expr.Value(&hcl.EvalContext{Functions: stdlibFunctions()})
		if diags.HasErrors() {
			return nil, fmt.Errorf("%s.value %q: %s", where, text, diags.Error())
		}
		return &hcldec.LiteralSpec{Value: value}, nil
	default:
		return nil, fmt.Errorf("%s: Invalid spec block: a Spec with none of its oneof set", path)
	}
}

// blockCommon reads a block spec's name (or the implied one) and its nested spec.
func blockCommon(msg jsonMessage, impliedName, where string, needName bool) (string, hcldec.Spec, error) {
	name, err := msg.str("name", where)
	if err != nil {
		return "", nil, err
	}
	if name == "" {
		name = impliedName
	}
	raw, ok := msg["nested"]
	if !ok {
		return "", nil, fmt.Errorf("%s: Missing spec block: a block spec needs a nested spec", where)
	}
	nested, err := convertSpec(raw, "", where+".nested")
	if err != nil {
		return "", nil, err
	}
	if needName && name == "" {
		return "", nil, fmt.Errorf("%s: Missing name in block spec", where)
	}
	return name, nested, nil
}

func canonicalSpecField(key string) string {
	for _, f := range specFields {
		if key == f || key == lowerCamel(f) {
			return f
		}
	}
	switch key {
	case "attr":
		return "Attr"
	case "block":
		return "block_value"
	}
	return ""
}

// stdlibFunctions is the function set Nomad gives to spec literals and task configs.
func stdlibFunctions() map[string]function.Function {
	return map[string]function.Function{
		"abs":        stdlib.AbsoluteFunc,
		"coalesce":   stdlib.CoalesceFunc,
		"concat":     stdlib.ConcatFunc,
		"hasindex":   stdlib.HasIndexFunc,
		"int":        stdlib.IntFunc,
		"jsondecode": stdlib.JSONDecodeFunc,
		"jsonencode": stdlib.JSONEncodeFunc,
		"length":     stdlib.LengthFunc,
		"lower":      stdlib.LowerFunc,
		"max":        stdlib.MaxFunc,
		"min":        stdlib.MinFunc,
		"reverse":    stdlib.ReverseFunc,
		"strlen":     stdlib.StrlenFunc,
		"substr":     stdlib.SubstrFunc,
		"upper":      stdlib.UpperFunc,
	}
}

// Types as values: a capsule holding a cty.Type, so that type constructors can be HCL
// functions and primitive types HCL variables.
var typeCapsule = cty.Capsule("type", reflect.TypeOf(cty.NilType))

func typeValue(ty cty.Type) cty.Value { return cty.CapsuleVal(typeCapsule, &ty) }

func typeOf(v cty.Value) cty.Type { return *(v.EncapsulatedValue().(*cty.Type)) }

func typeFunction(param cty.Type, build func(cty.Value) cty.Type) function.Function {
	return function.New(&function.Spec{
		Params: []function.Parameter{{Name: "t", Type: param}},
		Type:   function.StaticReturnType(typeCapsule),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return typeValue(build(args[0])), nil
		},
	})
}

var typeContext = &hcl.EvalContext{
	Variables: map[string]cty.Value{
		"string": typeValue(cty.String),
		"bool":   typeValue(cty.Bool),
		"number": typeValue(cty.Number),
		"any":    typeValue(cty.DynamicPseudoType),
	},
	Functions: map[string]function.Function{
		"list": typeFunction(typeCapsule, func(v cty.Value) cty.Type { return cty.List(typeOf(v)) }),
		"set":  typeFunction(typeCapsule, func(v cty.Value) cty.Type { return cty.Set(typeOf(v)) }),
		"map":  typeFunction(typeCapsule, func(v cty.Value) cty.Type { return cty.Map(typeOf(v)) }),
		"tuple": typeFunction(cty.List(typeCapsule), func(v cty.Value) cty.Type {
			var elems []cty.Type
			for it := v.ElementIterator(); it.Next(); {
				_, e := it.Element()
				elems = append(elems, typeOf(e))
			}
			return cty.Tuple(elems)
		}),
		"object": typeFunction(cty.Map(typeCapsule), func(v cty.Value) cty.Type {
			attrs := map[string]cty.Type{}
			for it := v.ElementIterator(); it.Next(); {
				k, e := it.Element()
				attrs[k.AsString()] = typeOf(e)
			}
			return cty.Object(attrs)
		}),
	},
}

// parseTypeString reads an Attr's type as Nomad does; a null result is "any".
func parseTypeString(text string) (cty.Type, error) {
	expr, diags := hclsyntax.ParseExpression([]byte(text), "type", hcl.Pos{})
	if diags.HasErrors() {
		return cty.NilType, fmt.Errorf("%s", diags.Error())
	}
	v, diags := expr.Value(typeContext)
	if diags.HasErrors() {
		return cty.NilType, fmt.Errorf("%s", diags.Error())
	}
	if v.IsNull() {
		return cty.DynamicPseudoType, nil
	}
	if !v.Type().Equals(typeCapsule) {
		return cty.NilType, fmt.Errorf("Invalid type expression: a type is required, not %s", v.Type().FriendlyName())
	}
	return typeOf(v), nil
}
