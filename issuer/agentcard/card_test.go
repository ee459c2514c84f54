package agentcard_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/issuer/agentcard"
)

const issuerURL = "https://idp.example.com"

func TestBuildCard(t *testing.T) {
	org := store.Org{Name: "acme"}
	tests := []struct {
		name  string
		meta  map[string]string
		check func(t *testing.T, c agentcard.Card)
	}{
		{"an agent without metadata gets the defaults", nil, func(t *testing.T, c agentcard.Card) {
			require.Equal(t, "1.0.0", c.Version)
			require.Empty(t, c.SupportedInterfaces)
			require.NotNil(t, c.SupportedInterfaces)
			require.Empty(t, c.Skills)
			require.NotNil(t, c.Skills)
			require.Equal(t, []string{"text/plain"}, c.DefaultInputModes)
			require.Equal(t, []string{"text/plain"}, c.DefaultOutputModes)
			require.False(t, c.Capabilities.Streaming)
		}},
		{"metadata fills the interface, skills and capabilities", map[string]string{
			agentcard.MetaVersion: "2.3.0", agentcard.MetaURL: "https://bot.example.com/a2a",
			agentcard.MetaBinding: agentcard.BindingGRPC, agentcard.MetaStreaming: "true",
			agentcard.MetaInputModes: "text/plain, application/json",
			"skill.summarise":        "Summarises tickets", "skill.close": "Closes tickets",
			agentcard.MetaDocumentation: "https://docs.example.com/bot",
		}, func(t *testing.T, c agentcard.Card) {
			require.Equal(t, "2.3.0", c.Version)
			require.Equal(t, []agentcard.Interface{{URL: "https://bot.example.com/a2a",
				ProtocolBinding: "GRPC", ProtocolVersion: agentcard.ProtocolVersion}},
				c.SupportedInterfaces)
			require.True(t, c.Capabilities.Streaming)
			require.Equal(t, []string{"text/plain", "application/json"}, c.DefaultInputModes)
			require.Equal(t, []agentcard.Skill{
				{ID: "close", Name: "close", Description: "Closes tickets", Tags: []string{}},
				{ID: "summarise", Name: "summarise", Description: "Summarises tickets",
					Tags: []string{}},
			}, c.Skills)
			require.Equal(t, "https://docs.example.com/bot", c.DocumentationURL)
		}},
		{"URLs that are not https are left out", map[string]string{
			agentcard.MetaURL: "http://bot.example.com", agentcard.MetaIcon: "javascript:alert(1)",
		}, func(t *testing.T, c agentcard.Card) {
			require.Empty(t, c.SupportedInterfaces)
			require.Empty(t, c.IconURL)
		}},
		{"an unknown binding leaves the interface out", map[string]string{
			agentcard.MetaURL: "https://bot.example.com", agentcard.MetaBinding: "SMTP",
		}, func(t *testing.T, c agentcard.Card) {
			require.Empty(t, c.SupportedInterfaces)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := store.Agent{Name: "ticket-bot", Description: "triages tickets", Metadata: tc.meta}
			c := agentcard.BuildCard(issuerURL, a, org)
			require.Equal(t, "ticket-bot", c.Name)
			require.Equal(t, "triages tickets", c.Description)
			require.Equal(t, agentcard.Provider{Organization: "acme", URL: issuerURL}, c.Provider)
			scheme := c.SecuritySchemes[agentcard.SchemeName].OpenIDConnect
			require.NotNil(t, scheme)
			require.Equal(t, issuerURL+"/.well-known/openid-configuration", scheme.OpenIDConnectURL)
			require.Len(t, c.SecurityRequirements, 1)
			tc.check(t, c)
		})
	}
}
