package main

// The structure of a parsed file: bodies, blocks and attributes, and for each attribute
// either its value or the kind of its expression.

import (
	"fmt"
	"reflect"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// evalMode says what an attribute prints.
type evalMode interface {
	describe(expr hclsyntax.Expression) *jsonNode
}

// literalMode: the value when the expression needs no variable and no function, else
// "<expr:KIND>".
type literalMode struct{}

func (literalMode) describe(expr hclsyntax.Expression) *jsonNode {
	value, diags := expr.Value(nil)
	if diags.HasErrors() || !value.IsWhollyKnown() {
		return jsonString("<expr:" + expressionKind(expr) + ">")
	}
	return valueJSON(value)
}

// expressionKind is the name of the expression's hclsyntax type: "TemplateExpr",
// "ScopeTraversalExpr", "FunctionCallExpr", "ForExpr", "ConditionalExpr", "BinaryOpExpr",
// "UnaryOpExpr", "TupleConsExpr", "ObjectConsExpr", "IndexExpr", "SplatExpr",
// "RelativeTraversalExpr", "TemplateWrapExpr", "ParenthesesExpr", "LiteralValueExpr".
func expressionKind(expr hclsyntax.Expression) string {
	t := reflect.TypeOf(expr)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

func describeFile(src []byte, filename string, mode evalMode) *jsonNode {
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.Pos{Line: 1, Column: 1, Byte: 0})
	if first := firstError(diags); first != nil {
		e := jsonObject()
		e.set("line", jsonRaw(fmt.Sprint(first.Subject.Start.Line)))
		e.set("column", jsonRaw(fmt.Sprint(first.Subject.Start.Column)))
		e.set("summary", jsonString(first.Summary))
		doc := jsonObject()
		doc.set("error", e)
		return doc
	}
	return describeBody(file.Body.(*hclsyntax.Body), mode)
}

// firstError is the error that starts first in the file. HCL reports the scanner's errors
// before the parser's, and keeps parsing after an error; a parser that stops at its first
// error reports the one that comes first in the text.
func firstError(diags hcl.Diagnostics) *hcl.Diagnostic {
	var first *hcl.Diagnostic
	for _, d := range diags {
		if d.Severity != hcl.DiagError || d.Subject == nil {
			continue
		}
		if first == nil || d.Subject.Start.Byte < first.Subject.Start.Byte {
			first = d
		}
	}
	return first
}

func describeBody(body *hclsyntax.Body, mode evalMode) *jsonNode {
	attributes := jsonObject()
	for name, attr := range body.Attributes {
		attributes.set(name, mode.describe(attr.Expr))
	}
	attributes.sortMembers()

	blocks := jsonArray()
	for _, block := range body.Blocks {
		labels := jsonArray()
		for _, label := range block.Labels {
			labels.push(jsonString(label))
		}
		b := jsonObject()
		b.set("type", jsonString(block.Type))
		b.set("labels", labels)
		b.set("body", describeBody(block.Body, mode))
		blocks.push(b)
	}

	doc := jsonObject()
	doc.set("attributes", attributes)
	doc.set("blocks", blocks)
	return doc
}

// valueJSON: null, bools, numbers (canonicalNumber), strings; lists, tuples and sets as
// arrays (in cty's order); maps and objects as objects with their keys sorted.
func valueJSON(v cty.Value) *jsonNode {
	if v.IsNull() {
		return nil
	}
	t := v.Type()
	switch {
	case t == cty.Bool:
		if v.True() {
			return jsonRaw("true")
		}
		return jsonRaw("false")
	case t == cty.Number:
		f, _ := v.AsBigFloat().Float64()
		return jsonRaw(canonicalNumber(f))
	case t == cty.String:
		return jsonString(v.AsString())
	case t.IsListType() || t.IsTupleType() || t.IsSetType():
		a := jsonArray()
		for it := v.ElementIterator(); it.Next(); {
			_, element := it.Element()
			a.push(valueJSON(element))
		}
		return a
	case t.IsMapType() || t.IsObjectType():
		o := jsonObject()
		for it := v.ElementIterator(); it.Next(); {
			key, element := it.Element()
			o.set(key.AsString(), valueJSON(element))
		}
		o.sortMembers()
		return o
	}
	return jsonString("<value:" + t.FriendlyName() + ">")
}

// sortedKeys is used by eval.go for deterministic variable order.
func sortedKeys(m map[string]*hclsyntax.Attribute) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
