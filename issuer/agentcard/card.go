package agentcard

import (
	"net/url"
	"slices"
	"strings"

	"github.com/agentidp/agentidp/internal/store"
)

// A2A protocol values (A2A specification 1.0, section 4.4).
const (
	ProtocolVersion = "1.0"
	BindingJSONRPC  = "JSONRPC"
	BindingGRPC     = "GRPC"
	BindingHTTPJSON = "HTTP+JSON"
	// SchemeName is the name of the card's one security scheme.
	SchemeName = "agentidp"
)

// Agent metadata keys the card reads. Every other key is ignored.
const (
	MetaVersion       = "version"           // the card's version; "1.0.0" when absent
	MetaURL           = "a2a.url"           // https URL of the agent's A2A interface
	MetaBinding       = "a2a.binding"       // JSONRPC (default), GRPC or HTTP+JSON
	MetaStreaming     = "a2a.streaming"     // "true" when the agent streams
	MetaPush          = "a2a.push"          // "true" when it sends push notifications
	MetaInputModes    = "a2a.input_modes"   // comma-separated media types
	MetaOutputModes   = "a2a.output_modes"  // comma-separated media types
	MetaDocumentation = "documentation_url" // https URL
	MetaIcon          = "icon_url"          // https URL
	MetaSkillPrefix   = "skill."            // skill.<id> = the skill's description
	defaultVersion    = "1.0.0"
	defaultMediaType  = "text/plain"
	discoveryPath     = "/.well-known/openid-configuration"
	maxModes          = 16
)

// Card is an A2A AgentCard (A2A specification 1.0, section 4.4.1).
type Card struct {
	Name                 string                    `json:"name"`
	Description          string                    `json:"description"`
	Version              string                    `json:"version"`
	SupportedInterfaces  []Interface               `json:"supportedInterfaces"`
	Provider             Provider                  `json:"provider"`
	DocumentationURL     string                    `json:"documentationUrl,omitempty"`
	IconURL              string                    `json:"iconUrl,omitempty"`
	Capabilities         Capabilities              `json:"capabilities"`
	SecuritySchemes      map[string]SecurityScheme `json:"securitySchemes"`
	SecurityRequirements []SecurityRequirement     `json:"securityRequirements"`
	DefaultInputModes    []string                  `json:"defaultInputModes"`
	DefaultOutputModes   []string                  `json:"defaultOutputModes"`
	Skills               []Skill                   `json:"skills"`
}

// Interface is where and how the agent is reached.
type Interface struct {
	URL             string `json:"url"`
	ProtocolBinding string `json:"protocolBinding"`
	ProtocolVersion string `json:"protocolVersion"`
}

// Provider is the organisation that runs the agent.
type Provider struct {
	Organization string `json:"organization"`
	URL          string `json:"url"`
}

// Capabilities are the optional A2A features the agent has.
type Capabilities struct {
	Streaming         bool `json:"streaming"`
	PushNotifications bool `json:"pushNotifications"`
}

// SecurityScheme is an A2A security scheme; the card has one, OpenID
// Connect at this issuer's discovery document.
type SecurityScheme struct {
	OpenIDConnect *OpenIDConnectScheme `json:"openIdConnectSecurityScheme,omitempty"`
}

// OpenIDConnectScheme points at an OpenID Connect discovery document.
type OpenIDConnectScheme struct {
	Description      string `json:"description,omitempty"`
	OpenIDConnectURL string `json:"openIdConnectUrl"`
}

// SecurityRequirement names the schemes a caller must satisfy, with the
// scopes each needs.
type SecurityRequirement struct {
	Schemes map[string]ScopeList `json:"schemes"`
}

// ScopeList is the scopes of one scheme in a SecurityRequirement.
type ScopeList struct {
	List []string `json:"list"`
}

// Skill is one thing the agent does.
type Skill struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Tags        []string `json:"tags"`
}

// BuildCard returns the card of an agent of org, whose tokens issuer
// mints. Metadata values that do not fit (a URL that is not https, an
// unknown binding) are left out rather than published.
func BuildCard(issuer string, a store.Agent, org store.Org) Card {
	m := a.Metadata
	c := Card{
		Name: a.Name, Description: a.Description, Version: defaultVersion,
		SupportedInterfaces: []Interface{},
		Provider:            Provider{Organization: org.Name, URL: issuer},
		DocumentationURL:    httpsURL(m[MetaDocumentation]),
		IconURL:             httpsURL(m[MetaIcon]),
		Capabilities: Capabilities{
			Streaming: m[MetaStreaming] == "true", PushNotifications: m[MetaPush] == "true",
		},
		SecuritySchemes: map[string]SecurityScheme{SchemeName: {OpenIDConnect: &OpenIDConnectScheme{
			Description:      "Access tokens of the agent's issuer (client_credentials).",
			OpenIDConnectURL: issuer + discoveryPath,
		}}},
		SecurityRequirements: []SecurityRequirement{
			{Schemes: map[string]ScopeList{SchemeName: {List: []string{}}}},
		},
		DefaultInputModes:  modes(m[MetaInputModes]),
		DefaultOutputModes: modes(m[MetaOutputModes]),
		Skills:             skills(m),
	}
	if v := m[MetaVersion]; v != "" {
		c.Version = v
	}
	if u := httpsURL(m[MetaURL]); u != "" {
		binding := m[MetaBinding]
		if binding == "" {
			binding = BindingJSONRPC
		}
		if slices.Contains([]string{BindingJSONRPC, BindingGRPC, BindingHTTPJSON}, binding) {
			c.SupportedInterfaces = append(c.SupportedInterfaces, Interface{
				URL: u, ProtocolBinding: binding, ProtocolVersion: ProtocolVersion,
			})
		}
	}
	return c
}

// httpsURL returns s when it is an absolute https URL, else "".
func httpsURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return ""
	}
	return s
}

// modes reads a comma-separated list of media types, text/plain when
// there is none.
func modes(s string) []string {
	var out []string
	for _, m := range strings.Split(s, ",") {
		if m = strings.TrimSpace(m); m != "" && strings.Contains(m, "/") && len(out) < maxModes {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return []string{defaultMediaType}
	}
	return out
}

// skills reads the skill.<id> metadata keys, sorted by id.
func skills(m map[string]string) []Skill {
	out := []Skill{}
	for k, v := range m {
		id, ok := strings.CutPrefix(k, MetaSkillPrefix)
		if !ok || id == "" {
			continue
		}
		out = append(out, Skill{ID: id, Name: id, Description: v, Tags: []string{}})
	}
	slices.SortFunc(out, func(a, b Skill) int { return strings.Compare(a.ID, b.ID) })
	return out
}
