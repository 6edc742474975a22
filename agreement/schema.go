package agreement

import (
	"bytes"
	_ "embed"
	"fmt"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Schema is the agreement format's JSON Schema (draft 2020-12), published
// as docs/agreement.schema.json. It checks structure — fields, types,
// enumerations — and the Go checks do the rest (references, geometry, time).
//
//go:embed agreement.schema.json
var Schema []byte

const schemaURL = "https://pactwatch.example/schema/agreement.schema.json"

var rootSchema, geometrySchema, zoneFileSchema = compileSchemas()

func compileSchemas() (root, geometry, zoneFile *jsonschema.Schema) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema))
	if err != nil {
		panic("agreement: embedded schema: " + err.Error())
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaURL, doc); err != nil {
		panic("agreement: embedded schema: " + err.Error())
	}
	return c.MustCompile(schemaURL), c.MustCompile(schemaURL + "#/$defs/geometry"), c.MustCompile(schemaURL + "#/$defs/geojson_file")
}

var printer = message.NewPrinter(language.English)

// validateSchema validates inst against sch and records one problem per
// failing leaf, located by mapping the instance location back to the YAML
// position recorded under prefix.
func (p *parser) validateSchema(sch *jsonschema.Schema, inst any, prefix string) {
	err := sch.Validate(inst)
	if err == nil {
		return
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		p.addf(prefix, "%v", err)
		return
	}
	seen := map[string]bool{}
	for _, leaf := range leaves(ve, nil) {
		path := instancePath(prefix, inst, leaf.InstanceLocation)
		switch k := leaf.ErrorKind.(type) {
		case *kind.AdditionalProperties:
			for _, name := range k.Properties {
				child := joinKey(path, name)
				if !seen[child] {
					seen[child] = true
					p.addKeyf(child, "unknown field %q", name)
				}
			}
			continue
		case *kind.Required:
			for _, name := range k.Missing {
				msg := fmt.Sprintf("missing required field %q", name)
				if !seen[path+msg] {
					seen[path+msg] = true
					p.addf(path, "%s", msg)
				}
			}
			continue
		}
		msg := schemaMessage(leaf.ErrorKind)
		if !seen[path+msg] {
			seen[path+msg] = true
			p.addf(path, "%s", msg)
		}
	}
}

// leaves flattens the error tree to the errors that say what is wrong:
// "allOf failed" and "$ref failed" only say where to look.
func leaves(e *jsonschema.ValidationError, out []*jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return append(out, e)
	}
	for _, c := range e.Causes {
		out = leaves(c, out)
	}
	return out
}

// instancePath turns a JSON pointer's tokens into the agreement's path
// syntax, telling list indexes from field names by the instance itself.
func instancePath(prefix string, inst any, tokens []string) string {
	path := prefix
	cur := inst
	for _, t := range tokens {
		switch v := cur.(type) {
		case []any:
			var i int
			fmt.Sscan(t, &i)
			path = fmt.Sprintf("%s[%d]", path, i)
			if i >= 0 && i < len(v) {
				cur = v[i]
			}
		case map[string]any:
			path = joinKey(path, t)
			cur = v[t]
		default:
			path = joinKey(path, t)
		}
	}
	return path
}

// schemaMessage words a schema failure for a negotiator, not a schema
// author.
func schemaMessage(k jsonschema.ErrorKind) string {
	switch k := k.(type) {
	case *kind.Type:
		return fmt.Sprintf("got %s, want %s", article(k.Got), strings.Join(mapSlice(k.Want, article), " or "))
	case *kind.Enum:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = fmt.Sprint(w)
		}
		return fmt.Sprintf("%v is not one of: %s", quoteValue(k.Got), strings.Join(want, ", "))
	case *kind.Pattern:
		return fmt.Sprintf("%q is not a valid id: use lowercase letters, digits, '-' and '_'", k.Got)
	case *kind.MinItems:
		return fmt.Sprintf("needs at least %d item(s), got %d", k.Want, k.Got)
	case *kind.MinLength:
		return "must not be empty"
	case *kind.MaxLength:
		return fmt.Sprintf("too long: at most %d characters", k.Want)
	case *kind.MinProperties:
		return fmt.Sprintf("needs at least %d entry(ies)", k.Want)
	}
	return k.LocalizedString(printer)
}

func article(t string) string {
	switch t {
	case "object":
		return "a mapping"
	case "array":
		return "a list"
	case "integer":
		return "a whole number"
	case "null":
		return "nothing"
	}
	return "a " + t
}

func quoteValue(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v)
}

func mapSlice(in []string, f func(string) string) []string {
	out := slices.Clone(in)
	for i := range out {
		out[i] = f(out[i])
	}
	return out
}
