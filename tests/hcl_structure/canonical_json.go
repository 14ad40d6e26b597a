package main

// The canonical JSON both printers write (this tool and tests/unit/hcl_structure.cc), so
// that their outputs can be compared byte for byte:
//
//   - one member or element per line, indented by two spaces; `{}` and `[]` when empty;
//     members in the order the printer adds them (the printers sort where HCL has no order);
//   - strings: `"` `\` escaped with a backslash, \b \f \n \r \t by name, the other bytes
//     below 0x20 and 0x7f as \u00XX (lowercase hex), everything else (UTF-8) as is;
//   - numbers: an integer of magnitude below 2^53 in plain digits ("-12"); any other number
//     in scientific notation with at most 15 significant digits, trailing zeros of the
//     mantissa dropped ("5e-01", "1.25e+21"). Fifteen digits, not the 17 that round-trip a
//     double, because HCL's Go code computes with 512-bit floats and we with doubles:
//     0.1 + 0.2 is 0.3 in one and 0.30000000000000004 in the other, and both print 3e-01.

import (
	"math"
	"sort"
	"strconv"
	"strings"
)

// jsonNode is a JSON value under construction: exactly one of the fields is set (a nil
// node is JSON null).
type jsonNode struct {
	scalar  string       // the literal text of a string, number, bool or null
	members []jsonMember // an object (isObject)
	items   []*jsonNode  // an array (isArray)

	isObject bool
	isArray  bool
}

type jsonMember struct {
	key   string
	value *jsonNode
}

func jsonString(s string) *jsonNode { return &jsonNode{scalar: quoteJSON(s)} }
func jsonRaw(text string) *jsonNode { return &jsonNode{scalar: text} }
func jsonObject() *jsonNode         { return &jsonNode{isObject: true} }
func jsonArray() *jsonNode          { return &jsonNode{isArray: true} }

func (n *jsonNode) set(key string, value *jsonNode) {
	n.members = append(n.members, jsonMember{key, value})
}

func (n *jsonNode) push(value *jsonNode) { n.items = append(n.items, value) }

// sortMembers orders an object's members by key, bytewise.
func (n *jsonNode) sortMembers() {
	sort.SliceStable(n.members, func(i, j int) bool { return n.members[i].key < n.members[j].key })
}

func quoteJSON(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 || c == 0x7f {
				b.WriteString(`\u00`)
				b.WriteString(strconv.FormatUint(uint64(c)>>4, 16))
				b.WriteString(strconv.FormatUint(uint64(c)&15, 16))
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// canonicalNumber formats a number as described at the top of this file.
func canonicalNumber(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		// JSON has no infinity; a string keeps the output valid and the difference visible.
		return quoteJSON(strconv.FormatFloat(f, 'g', -1, 64))
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return strconv.FormatInt(int64(f), 10)
	}
	text := strconv.FormatFloat(f, 'e', 14, 64) // d.dddddddddddddde±XX
	mantissa, exponent, _ := strings.Cut(text, "e")
	if strings.Contains(mantissa, ".") {
		mantissa = strings.TrimRight(strings.TrimRight(mantissa, "0"), ".")
	}
	return mantissa + "e" + exponent
}

func (n *jsonNode) write(b *strings.Builder, indent int) {
	switch {
	case n == nil:
		b.WriteString("null")
	case n.isObject:
		if len(n.members) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteString("{\n")
		for i, m := range n.members {
			b.WriteString(strings.Repeat("  ", indent+1))
			b.WriteString(quoteJSON(m.key))
			b.WriteString(": ")
			m.value.write(b, indent+1)
			if i+1 < len(n.members) {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(strings.Repeat("  ", indent))
		b.WriteByte('}')
	case n.isArray:
		if len(n.items) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[\n")
		for i, item := range n.items {
			b.WriteString(strings.Repeat("  ", indent+1))
			item.write(b, indent+1)
			if i+1 < len(n.items) {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(strings.Repeat("  ", indent))
		b.WriteByte(']')
	default:
		b.WriteString(n.scalar)
	}
}

// render is the document's text, ending with a newline.
func render(n *jsonNode) string {
	var b strings.Builder
	n.write(&b, 0)
	b.WriteByte('\n')
	return b.String()
}
