package authz

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseClaims(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
		want tokenClaims
	}{
		{"the claims of an access token are read", `{"iss":"https://i","sub":"agt_1",` +
			`"aud":"https://a","exp":1800000600,"nbf":1.8e9,"iat":1800000000,"jti":"j",` +
			`"client_id":"agt_1","scope":"a b","org_id":"org_1","agent_did":"did:web:i"}`, true,
			tokenClaims{Issuer: "https://i", Subject: "agt_1", Audience: audience{"https://a"},
				ExpiresAt: 1800000600, NotBefore: 1.8e9, IssuedAt: 1800000000, JTI: "j",
				ClientID: "agt_1", Scope: "a b", OrgID: "org_1", AgentDID: "did:web:i"}},
		{"an audience list and unknown members of every kind are read", ` { "aud" : ["x","y"],` +
			` "x":{"a":[1,{"b":null}],"c":true},"n":-1.5e-3,"f":false,"s":"\u00e9\n" } `, true,
			tokenClaims{Audience: audience{"x", "y"}}},
		{"escapes are decoded", `{"sub":"a\"b\u0041"}`, true, tokenClaims{Subject: `a"bA`}},
		{"a duplicate member is refused", `{"sub":"a","sub":"b"}`, false, tokenClaims{}},
		{"a member equal to a claim but for case is refused", `{"sub":"a","SUB":"b"}`, false,
			tokenClaims{}},
		{"a claim name spelt with a long s is refused", `{"` + "\u017f" + `ub":"b"}`, false,
			tokenClaims{}},
		{"data after the object is refused", `{"sub":"a"}{}`, false, tokenClaims{}},
		{"a claim of the wrong type is refused", `{"exp":"1800000000"}`, false, tokenClaims{}},
		{"a null claim is refused", `{"iss":null}`, false, tokenClaims{}},
		{"an infinite number is refused", `{"exp":1e999}`, false, tokenClaims{}},
		{"invalid UTF-8 is refused", "{\"sub\":\"\xff\"}", false, tokenClaims{}},
		{"a raw control character is refused", "{\"sub\":\"a\tb\"}", false, tokenClaims{}},
		{"deep nesting is refused", `{"x":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) +
			`}`, false, tokenClaims{}},
		{"a truncated object is refused", `{"sub":"a"`, false, tokenClaims{}},
		{"an array is not an object", `["sub"]`, false, tokenClaims{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got tokenClaims
			require.Equal(t, tc.ok, parseClaims([]byte(tc.in), &got))
			if tc.ok {
				require.Equal(t, tc.want, got)
			}
		})
	}
}

// FuzzClaimsMatchEncodingJSON checks the scanner against encoding/json:
// whatever it accepts, encoding/json accepts too and reads to the same
// claims, so the edge can never see other claims than any other reader.
func FuzzClaimsMatchEncodingJSON(f *testing.F) {
	f.Add(`{"iss":"https://i","sub":"a","aud":["x"],"exp":1.8e9,"jti":"j","scope":"a b"}`)
	f.Add(`{"aud":"x","x":{"y":[true,false,null,-0.5e+3]},"sub":"\u00e9\"\\"}`)
	f.Add(`{"sub":"a","Sub":"b"}`)
	f.Add(`{"exp":1e309}`)
	f.Add(`{"iat":-0,"nbf":0.1}`)
	f.Fuzz(func(t *testing.T, in string) {
		var mine tokenClaims
		if !parseClaims([]byte(in), &mine) {
			return
		}
		var theirs tokenClaims
		require.NoError(t, json.Unmarshal([]byte(in), &theirs), "accepted by the scanner")
		require.Equal(t, theirs, mine)

		var h jwsHeader
		if parseHeader([]byte(in), &h) {
			var j struct{ Alg, Kid, Typ string }
			require.NoError(t, json.Unmarshal([]byte(in), &j))
			require.Equal(t, j.Alg, h.Alg)
			require.Equal(t, j.Kid, h.Kid)
			require.Equal(t, j.Typ, h.Typ)
		}
	})
}

// UnmarshalJSON lets encoding/json read an "aud" as the scanner does, for
// the differential test: one string or an array of them.
func (a *audience) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var one string
		if err := json.Unmarshal(b, &one); err != nil {
			return errMalformed
		}
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errMalformed
	}
	*a = many
	return nil
}
