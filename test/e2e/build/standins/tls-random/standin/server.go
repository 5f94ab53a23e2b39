// Package standin serves this project's STAND-IN tls and random providers for
// the e2e tests (issue 12). The Go module proxy refuses the upstream providers'
// modules (github.com/pulumi/pulumi-tls/provider/v5,
// github.com/pulumi/pulumi-random/provider/v4) and serves
// hashicorp/terraform-provider-tls only at v1.2.0, so these are our own code,
// not bridged upstream: they implement exactly the resources the program
// uses, with the tokens, property names, defaults, secret outputs and
// replace-on-change behaviour of @pulumi/tls 5.6.1 and @pulumi/random 4.21.2,
// and the same behaviour as the offline engine's emulation (engine/providers.ts).
package standin

import (
	"context"
	"fmt"
	"os"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// Resource is one resource type of a stand-in provider.
type Resource interface {
	// Check validates news and returns them with the provider's defaults filled in.
	// Unknown values (previews) are left alone.
	Check(news resource.PropertyMap) (resource.PropertyMap, []*pulumirpc.CheckFailure)
	// Create makes the resource from checked, fully known inputs; it returns
	// its id and outputs (inputs plus computed values, secrets marked).
	Create(inputs resource.PropertyMap) (string, resource.PropertyMap, error)
	// Preview returns the outputs a create would have, computed ones unknown.
	Preview(inputs resource.PropertyMap) resource.PropertyMap
	// Refresh recomputes what reading an existing resource would change
	// (the certificates' readyForRenewal); nil if nothing.
	Refresh(state resource.PropertyMap) resource.PropertyMap
	// MustReplace reports a replacement due with unchanged inputs (a
	// certificate inside its renewal window, judged with the planned inputs
	// news), naming the property.
	MustReplace(state, news resource.PropertyMap) string
	// InPlace names the inputs whose change updates the resource in place
	// (upstream declares no RequiresReplace on them); every other input
	// replaces it.
	InPlace() map[resource.PropertyKey]bool
}

// Provider is a stand-in provider: a package name, the version of the upstream
// package it stands in for, and its resources by type token.
type Provider struct {
	pulumirpc.UnimplementedResourceProviderServer
	Name      string
	Version   string
	Resources map[string]Resource
}

// Serve runs the provider's gRPC server and prints its port, as plugins do.
func Serve(p *Provider) {
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(srv, p)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-%s (stand-in): %v\n", p.Name, err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-%s (stand-in): %v\n", p.Name, err)
		os.Exit(1)
	}
}

var keep = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipNulls: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, keep)
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, keep)
}

func (p *Provider) resourceFor(urn string, typ string) (Resource, error) {
	if typ == "" {
		typ = string(resource.URN(urn).Type())
	}
	r, ok := p.Resources[typ]
	if !ok {
		return nil, fmt.Errorf("the stand-in %s provider does not implement %s (it implements only what this program uses)", p.Name, typ)
	}
	return r, nil
}

func (p *Provider) Handshake(context.Context, *pulumirpc.ProviderHandshakeRequest) (*pulumirpc.ProviderHandshakeResponse, error) {
	return &pulumirpc.ProviderHandshakeResponse{AcceptSecrets: true, AcceptResources: true}, nil
}

func (p *Provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: p.Version + "-standin.spinnaker-mtls"}, nil
}

// GetSchema returns a schema naming the package only: the Node.js SDK the
// program uses is the published @pulumi/<name>, generated from upstream's schema.
func (p *Provider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: fmt.Sprintf(
		`{"name":%q,"version":%q,"description":"STAND-IN for the e2e tests of spinnaker-mtls, not the upstream provider"}`, p.Name, p.Version)}, nil
}

func (p *Provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *Provider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (p *Provider) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true, AcceptResources: true}, nil
}

func (p *Provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	r, err := p.resourceFor(req.GetUrn(), req.GetType())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	checked, failures := r.Check(news)
	if len(failures) > 0 {
		return &pulumirpc.CheckResponse{Failures: failures}, nil
	}
	out, err := marshal(checked)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: out}, nil
}

// Diff: an input forces a replacement, as in the upstream providers (their
// Terraform attributes are RequiresReplace), except the ones a resource
// updates in place (a certificate's earlyRenewalHours); and a certificate
// inside its renewal window is replaced with unchanged inputs (upstream's
// readyForRenewal plan modifier).
func (p *Provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	r, err := p.resourceFor(req.GetUrn(), req.GetType())
	if err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetOldInputs())
	if err != nil {
		return nil, err
	}
	oldsAreState := req.GetOldInputs() == nil
	if oldsAreState {
		// An engine that sends no old inputs: compare with the state, where
		// output-only properties (certPem, …) are not inputs that went away.
		if olds, err = unmarshal(req.GetOlds()); err != nil {
			return nil, err
		}
	}
	state, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	ignored := map[string]bool{}
	for _, k := range req.GetIgnoreChanges() {
		ignored[k] = true
	}
	keys := map[resource.PropertyKey]bool{}
	for k := range olds {
		keys[k] = true
	}
	for k := range news {
		keys[k] = true
	}
	var changed, replaces []string
	detailed := map[string]*pulumirpc.PropertyDiff{}
	inPlace := r.InPlace()
	note := func(k string, kind, inPlaceKind pulumirpc.PropertyDiff_Kind) {
		changed = append(changed, k)
		if inPlace[resource.PropertyKey(k)] {
			detailed[k] = &pulumirpc.PropertyDiff{Kind: inPlaceKind}
			return
		}
		replaces = append(replaces, k)
		detailed[k] = &pulumirpc.PropertyDiff{Kind: kind}
	}
	for k := range keys {
		if ignored[string(k)] {
			continue
		}
		o, inOld := olds[k]
		n, inNew := news[k]
		switch {
		case inNew && n.ContainsUnknowns():
			note(string(k), pulumirpc.PropertyDiff_UPDATE_REPLACE, pulumirpc.PropertyDiff_UPDATE)
		case inOld && !inNew && oldsAreState:
			continue
		case inOld && !inNew:
			note(string(k), pulumirpc.PropertyDiff_DELETE_REPLACE, pulumirpc.PropertyDiff_DELETE)
		case !inOld && inNew:
			note(string(k), pulumirpc.PropertyDiff_ADD_REPLACE, pulumirpc.PropertyDiff_ADD)
		case !plainEqual(o, n):
			note(string(k), pulumirpc.PropertyDiff_UPDATE_REPLACE, pulumirpc.PropertyDiff_UPDATE)
		}
	}
	if why := r.MustReplace(state, news); why != "" {
		changed = append(changed, why)
		replaces = append(replaces, why)
		detailed[why] = &pulumirpc.PropertyDiff{Kind: pulumirpc.PropertyDiff_UPDATE_REPLACE}
	}
	sort.Strings(changed)
	sort.Strings(replaces)
	if len(changed) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE, HasDetailedDiff: true}, nil
	}
	return &pulumirpc.DiffResponse{
		Changes: pulumirpc.DiffResponse_DIFF_SOME, Diffs: changed, Replaces: replaces,
		DetailedDiff: detailed, HasDetailedDiff: true,
	}, nil
}

// plainEqual compares two values with secret markers removed: marking an
// input secret is not a change of the resource.
func plainEqual(a, b resource.PropertyValue) bool {
	return unwrap(a).DeepEquals(unwrap(b))
}

func unwrap(v resource.PropertyValue) resource.PropertyValue {
	switch {
	case v.IsSecret():
		return unwrap(v.SecretValue().Element)
	case v.IsArray():
		arr := make([]resource.PropertyValue, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			arr[i] = unwrap(e)
		}
		return resource.NewArrayProperty(arr)
	case v.IsObject():
		obj := resource.PropertyMap{}
		for k, e := range v.ObjectValue() {
			obj[k] = unwrap(e)
		}
		return resource.NewObjectProperty(obj)
	}
	return v
}

func (p *Provider) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	r, err := p.resourceFor(req.GetUrn(), req.GetType())
	if err != nil {
		return nil, err
	}
	inputs, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		out, err := marshal(r.Preview(inputs))
		if err != nil {
			return nil, err
		}
		return &pulumirpc.CreateResponse{Properties: out}, nil
	}
	id, outputs, err := r.Create(inputs)
	if err != nil {
		return nil, err
	}
	out, err := marshal(outputs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: out}, nil
}

// Read returns the stored state (these resources live only in the state, as
// upstream's do), with readyForRenewal recomputed for certificates.
func (p *Provider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	r, err := p.resourceFor(req.GetUrn(), req.GetType())
	if err != nil {
		return nil, err
	}
	state, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	if changed := r.Refresh(state); changed != nil {
		state = changed
	}
	out, err := marshal(state)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: out, Inputs: req.GetInputs()}, nil
}

// Update: the in-place inputs (a certificate's earlyRenewalHours) take their
// new values; everything else stays as created, as upstream's Update writes
// the plan's value of such an attribute into the state and nothing more. The
// engine also calls it when only ignored properties differ.
func (p *Provider) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	r, err := p.resourceFor(req.GetUrn(), req.GetType())
	if err != nil {
		return nil, err
	}
	state, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	for k := range r.InPlace() {
		if v, ok := news[k]; ok {
			state[k] = v
		}
	}
	if changed := r.Refresh(state); changed != nil {
		state = changed
	}
	out, err := marshal(state)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: out}, nil
}

func (p *Provider) Delete(context.Context, *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (p *Provider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// --- helpers for the resources ---------------------------------------------------

func failure(prop, reason string) *pulumirpc.CheckFailure {
	return &pulumirpc.CheckFailure{Property: prop, Reason: reason}
}

// known reports whether key is set and fully known.
func known(m resource.PropertyMap, key string) bool {
	v, ok := m[resource.PropertyKey(key)]
	return ok && !v.IsNull() && !v.ContainsUnknowns()
}

func str(m resource.PropertyMap, key string) string {
	v := unwrap(m[resource.PropertyKey(key)])
	if v.IsString() {
		return v.StringValue()
	}
	return ""
}

func num(m resource.PropertyMap, key string) (float64, bool) {
	v := unwrap(m[resource.PropertyKey(key)])
	if v.IsNumber() {
		return v.NumberValue(), true
	}
	return 0, false
}

func boolean(m resource.PropertyMap, key string) bool {
	v := unwrap(m[resource.PropertyKey(key)])
	return v.IsBool() && v.BoolValue()
}

func strs(m resource.PropertyMap, key string) []string {
	v := unwrap(m[resource.PropertyKey(key)])
	if !v.IsArray() {
		return nil
	}
	var out []string
	for _, e := range v.ArrayValue() {
		if e.IsString() {
			out = append(out, e.StringValue())
		}
	}
	return out
}

// setDefault fills key with v when the program left it unset, as the
// upstream schema's defaults do.
func setDefault(m resource.PropertyMap, key string, v resource.PropertyValue) {
	if cur, ok := m[resource.PropertyKey(key)]; !ok || cur.IsNull() {
		m[resource.PropertyKey(key)] = v
	}
}

func copyMap(m resource.PropertyMap) resource.PropertyMap {
	out := resource.PropertyMap{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func unknownString() resource.PropertyValue {
	return resource.MakeComputed(resource.NewStringProperty(""))
}

func secret(s string) resource.PropertyValue {
	return resource.MakeSecret(resource.NewStringProperty(s))
}
