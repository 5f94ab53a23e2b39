package standin

import (
	"crypto/rand"
	"fmt"
	"math/big"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"golang.org/x/crypto/bcrypt"
)

// Random returns the stand-in for pulumi-random 4.21.2.
func Random() *Provider {
	return &Provider{Name: "random", Version: "4.21.2", Resources: map[string]Resource{
		"random:index/randomPassword:RandomPassword": randomPassword{},
	}}
}

// Upstream's default special characters (terraform-provider-random, string.go).
const defaultSpecial = "!@#$%&*()-_=+[]{}<>:?"

type randomPassword struct{}

func (randomPassword) Check(news resource.PropertyMap) (resource.PropertyMap, []*pulumirpc.CheckFailure) {
	m := copyMap(news)
	for _, k := range []string{"lower", "upper", "numeric", "special"} {
		setDefault(m, k, resource.NewBoolProperty(true))
	}
	// `number` is upstream's deprecated twin of `numeric`; the state carries both.
	if known(m, "numeric") {
		setDefault(m, "number", resource.NewBoolProperty(boolean(m, "numeric")))
	}
	for _, k := range []string{"minLower", "minUpper", "minNumeric", "minSpecial"} {
		setDefault(m, k, resource.NewNumberProperty(0))
	}
	var f []*pulumirpc.CheckFailure
	if _, set := m["length"]; !set {
		return m, append(f, failure("length", `missing required argument "length"`))
	}
	if !known(m, "length") {
		return m, f
	}
	length, ok := num(m, "length")
	if !ok || length < 1 || length != float64(int(length)) {
		return m, append(f, failure("length", "length must be a whole number, at least 1"))
	}
	minimum := 0.0
	for _, k := range []string{"minLower", "minUpper", "minNumeric", "minSpecial"} {
		v, _ := num(m, k)
		minimum += v
	}
	if length < minimum {
		f = append(f, failure("length", fmt.Sprintf("length (%v) must be >= the sum of the minimums (%v)", length, minimum)))
	}
	return m, f
}

func (randomPassword) Preview(inputs resource.PropertyMap) resource.PropertyMap {
	m := copyMap(inputs)
	m["result"] = resource.MakeSecret(unknownString())
	m["bcryptHash"] = resource.MakeSecret(unknownString())
	return m
}

func (randomPassword) Refresh(resource.PropertyMap) resource.PropertyMap { return nil }
func (randomPassword) MustReplace(_, _ resource.PropertyMap) string      { return "" }
func (randomPassword) InPlace() map[resource.PropertyKey]bool            { return nil }

func randomIndex(n int) (int, error) {
	i, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0, err
	}
	return int(i.Int64()), nil
}

func (randomPassword) Create(inputs resource.PropertyMap) (string, resource.PropertyMap, error) {
	length, _ := num(inputs, "length")
	special := defaultSpecial
	if _, set := inputs["overrideSpecial"]; set {
		special = str(inputs, "overrideSpecial")
	}
	classes := []struct {
		on    bool
		min   string
		chars string
	}{
		{boolean(inputs, "lower"), "minLower", "abcdefghijklmnopqrstuvwxyz"},
		{boolean(inputs, "upper"), "minUpper", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
		{boolean(inputs, "numeric"), "minNumeric", "0123456789"},
		{boolean(inputs, "special"), "minSpecial", special},
	}
	pool := ""
	var chars []byte
	for _, c := range classes {
		if c.on {
			pool += c.chars
		}
		minimum, _ := num(inputs, c.min)
		for i := 0; i < int(minimum); i++ {
			j, err := randomIndex(len(c.chars))
			if err != nil {
				return "", nil, err
			}
			chars = append(chars, c.chars[j])
		}
	}
	if pool == "" {
		return "", nil, fmt.Errorf("at least one character class must be enabled")
	}
	for len(chars) < int(length) {
		j, err := randomIndex(len(pool))
		if err != nil {
			return "", nil, err
		}
		chars = append(chars, pool[j])
	}
	for i := len(chars) - 1; i > 0; i-- {
		j, err := randomIndex(i + 1)
		if err != nil {
			return "", nil, err
		}
		chars[i], chars[j] = chars[j], chars[i]
	}
	hash, err := bcrypt.GenerateFromPassword(chars, bcrypt.DefaultCost)
	if err != nil {
		return "", nil, err
	}
	m := copyMap(inputs)
	m["result"] = secret(string(chars))
	m["bcryptHash"] = secret(string(hash))
	return "none", m, nil
}
