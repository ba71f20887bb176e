package pool

import (
	"strconv"
	"strings"
)

// SchemaAttribute is Cognito's SchemaAttributeType.
type SchemaAttribute struct {
	Name                       string                      `json:"Name,omitempty"`
	AttributeDataType          string                      `json:"AttributeDataType,omitempty"`
	DeveloperOnlyAttribute     *bool                       `json:"DeveloperOnlyAttribute,omitempty"`
	Mutable                    *bool                       `json:"Mutable,omitempty"`
	Required                   *bool                       `json:"Required,omitempty"`
	NumberAttributeConstraints *NumberAttributeConstraints `json:"NumberAttributeConstraints,omitempty"`
	StringAttributeConstraints *StringAttributeConstraints `json:"StringAttributeConstraints,omitempty"`
}

type NumberAttributeConstraints struct {
	MinValue *string `json:"MinValue,omitempty"`
	MaxValue *string `json:"MaxValue,omitempty"`
}

type StringAttributeConstraints struct {
	MinLength *string `json:"MinLength,omitempty"`
	MaxLength *string `json:"MaxLength,omitempty"`
}

func ptr[T any](v T) *T { return &v }

func boolValue(b *bool) bool { return b != nil && *b }

func stringAttr(name string, mutable, required bool, min, max string) SchemaAttribute {
	return SchemaAttribute{
		Name: name, AttributeDataType: "String", DeveloperOnlyAttribute: ptr(false),
		Mutable: ptr(mutable), Required: ptr(required),
		StringAttributeConstraints: &StringAttributeConstraints{MinLength: ptr(min), MaxLength: ptr(max)},
	}
}

// standardSchema is the schema every Cognito pool starts with, in Cognito's order.
func standardSchema() []SchemaAttribute {
	s := []SchemaAttribute{stringAttr("sub", false, true, "1", "2048")}
	for _, n := range []string{"name", "given_name", "family_name", "middle_name", "nickname", "preferred_username", "profile", "picture", "website", "email"} {
		s = append(s, stringAttr(n, true, false, "0", "2048"))
	}
	s = append(s, SchemaAttribute{Name: "email_verified", AttributeDataType: "Boolean", DeveloperOnlyAttribute: ptr(false), Mutable: ptr(true), Required: ptr(false)})
	s = append(s, stringAttr("gender", true, false, "0", "2048"))
	s = append(s, stringAttr("birthdate", true, false, "10", "10"))
	for _, n := range []string{"zoneinfo", "locale", "phone_number"} {
		s = append(s, stringAttr(n, true, false, "0", "2048"))
	}
	s = append(s, SchemaAttribute{Name: "phone_number_verified", AttributeDataType: "Boolean", DeveloperOnlyAttribute: ptr(false), Mutable: ptr(true), Required: ptr(false)})
	s = append(s, stringAttr("address", true, false, "0", "2048"))
	s = append(s, SchemaAttribute{Name: "updated_at", AttributeDataType: "Number", DeveloperOnlyAttribute: ptr(false), Mutable: ptr(true), Required: ptr(false),
		NumberAttributeConstraints: &NumberAttributeConstraints{MinValue: ptr("0")}})
	s = append(s, SchemaAttribute{Name: "identities", AttributeDataType: "String", DeveloperOnlyAttribute: ptr(false), Mutable: ptr(true), Required: ptr(false),
		StringAttributeConstraints: &StringAttributeConstraints{}})
	return s
}

const maxCustomAttributes = 50

// mergeSchema applies a CreateUserPool Schema list to the standard schema: standard names
// change Required/Mutable/constraints, other names become custom:NAME attributes.
func mergeSchema(input []SchemaAttribute) ([]SchemaAttribute, error) {
	schema := standardSchema()
	index := map[string]int{}
	for i, a := range schema {
		index[a.Name] = i
	}
	var custom []SchemaAttribute
	seen := map[string]bool{}
	for _, in := range input {
		if in.Name == "" {
			return nil, invalidParameter("1 validation error detected: Value null at 'schema.member.name' failed to satisfy constraint: Member must not be null")
		}
		if seen[in.Name] {
			return nil, invalidParameter("Duplicate attribute name in schema: %s", in.Name)
		}
		seen[in.Name] = true
		if i, ok := index[in.Name]; ok {
			std := schema[i]
			if in.Name == "sub" {
				return nil, invalidParameter("The attribute sub cannot be modified.")
			}
			if in.AttributeDataType != "" && in.AttributeDataType != std.AttributeDataType {
				return nil, invalidParameter("You can not change AttributeDataType or set developerOnlyAttribute for standard schema attribute %s", in.Name)
			}
			if boolValue(in.DeveloperOnlyAttribute) {
				return nil, invalidParameter("You can not change AttributeDataType or set developerOnlyAttribute for standard schema attribute %s", in.Name)
			}
			if in.Required != nil {
				std.Required = ptr(*in.Required)
			}
			if in.Mutable != nil {
				std.Mutable = ptr(*in.Mutable)
			}
			if in.StringAttributeConstraints != nil && std.AttributeDataType == "String" {
				std.StringAttributeConstraints = mergeStringConstraints(std.StringAttributeConstraints, in.StringAttributeConstraints)
			}
			schema[i] = std
			continue
		}
		c, err := customAttribute(in)
		if err != nil {
			return nil, err
		}
		custom = append(custom, c)
	}
	if len(custom) > maxCustomAttributes {
		return nil, newError(ExLimitExceeded, "The user pool has reached its limit of %d custom attributes.", maxCustomAttributes)
	}
	return append(schema, custom...), nil
}

func mergeStringConstraints(base, in *StringAttributeConstraints) *StringAttributeConstraints {
	out := *base
	if in.MinLength != nil {
		out.MinLength = in.MinLength
	}
	if in.MaxLength != nil {
		out.MaxLength = in.MaxLength
	}
	return &out
}

// customAttribute validates one custom attribute definition and returns it with its stored
// name, custom:NAME (or dev:custom:NAME for developer-only ones, as Cognito names them).
func customAttribute(in SchemaAttribute) (SchemaAttribute, error) {
	name := strings.TrimPrefix(in.Name, "custom:")
	if len(name) < 1 || len(name) > 20 {
		return SchemaAttribute{}, invalidParameter("1 validation error detected: Value '%s' at 'customAttributes.member.name' failed to satisfy constraint: Member must have length less than or equal to 20", in.Name)
	}
	if !reCustomName.MatchString(name) {
		return SchemaAttribute{}, invalidParameter("Invalid custom attribute name: %s", in.Name)
	}
	typ := in.AttributeDataType
	if typ == "" {
		typ = "String"
	}
	out := SchemaAttribute{
		Name: "custom:" + name, AttributeDataType: typ,
		DeveloperOnlyAttribute: ptr(boolValue(in.DeveloperOnlyAttribute)),
		Mutable:                ptr(in.Mutable == nil || *in.Mutable),
		Required:               ptr(false),
	}
	if boolValue(in.Required) {
		return SchemaAttribute{}, invalidParameter("Required custom attributes are not supported currently.")
	}
	if boolValue(in.DeveloperOnlyAttribute) {
		out.Name = "dev:custom:" + name
	}
	switch typ {
	case "String":
		c := &StringAttributeConstraints{}
		if in.StringAttributeConstraints != nil {
			c = mergeStringConstraints(c, in.StringAttributeConstraints)
		}
		if err := checkLengthConstraint(c); err != nil {
			return SchemaAttribute{}, err
		}
		out.StringAttributeConstraints = c
	case "Number":
		c := &NumberAttributeConstraints{}
		if in.NumberAttributeConstraints != nil {
			*c = *in.NumberAttributeConstraints
		}
		for _, v := range []*string{c.MinValue, c.MaxValue} {
			if v != nil {
				if _, err := strconv.ParseInt(*v, 10, 64); err != nil {
					return SchemaAttribute{}, invalidParameter("Invalid number constraint %q for attribute %s.", *v, in.Name)
				}
			}
		}
		out.NumberAttributeConstraints = c
	case "DateTime", "Boolean":
	default:
		return SchemaAttribute{}, invalidParameter("1 validation error detected: Value '%s' at 'schema.member.attributeDataType' failed to satisfy constraint: Member must satisfy enum value set: [Boolean, Number, String, DateTime]", typ)
	}
	return out, nil
}

func checkLengthConstraint(c *StringAttributeConstraints) error {
	min, max := 0, 2048
	var err error
	if c.MinLength != nil {
		if min, err = strconv.Atoi(*c.MinLength); err != nil || min < 0 || min > 2048 {
			return invalidParameter("Invalid MinLength %q; it must be a number from 0 to 2048.", *c.MinLength)
		}
	}
	if c.MaxLength != nil {
		if max, err = strconv.Atoi(*c.MaxLength); err != nil || max < 0 || max > 2048 {
			return invalidParameter("Invalid MaxLength %q; it must be a number from 0 to 2048.", *c.MaxLength)
		}
	}
	if min > max {
		return invalidParameter("MinLength must not be greater than MaxLength.")
	}
	return nil
}

func findSchema(schema []SchemaAttribute, name string) (SchemaAttribute, bool) {
	for _, a := range schema {
		if a.Name == name {
			return a, true
		}
	}
	return SchemaAttribute{}, false
}

// checkAttributeValue enforces a schema attribute's type and constraints on one value.
func checkAttributeValue(a SchemaAttribute, value string) error {
	if len(value) > 2048 {
		return invalidParameter("Attribute value for %s must not exceed 2048 characters.", a.Name)
	}
	switch a.AttributeDataType {
	case "Boolean":
		if value != "true" && value != "false" {
			return invalidParameter("Attribute value for %s must be either true or false.", a.Name)
		}
	case "Number":
		n, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return invalidParameter("Attribute value for %s must be a number.", a.Name)
		}
		if c := a.NumberAttributeConstraints; c != nil {
			if c.MinValue != nil {
				if min, err := strconv.ParseFloat(*c.MinValue, 64); err == nil && n < min {
					return invalidParameter("Attribute value for %s must be at least %s.", a.Name, *c.MinValue)
				}
			}
			if c.MaxValue != nil {
				if max, err := strconv.ParseFloat(*c.MaxValue, 64); err == nil && n > max {
					return invalidParameter("Attribute value for %s must be at most %s.", a.Name, *c.MaxValue)
				}
			}
		}
	case "String":
		if c := a.StringAttributeConstraints; c != nil && value != "" {
			n := len([]rune(value))
			if c.MinLength != nil {
				if min, err := strconv.Atoi(*c.MinLength); err == nil && n < min {
					return invalidParameter("Attribute value for %s must have at least %d characters.", a.Name, min)
				}
			}
			if c.MaxLength != nil {
				if max, err := strconv.Atoi(*c.MaxLength); err == nil && max > 0 && n > max {
					return invalidParameter("Attribute value for %s must not exceed %d characters.", a.Name, max)
				}
			}
		}
	}
	return nil
}
