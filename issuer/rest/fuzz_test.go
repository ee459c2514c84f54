package rest

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"reflect"
	"testing"
)

func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"name":"a","scopes":["x"],"metadata":{"k":"v"}}`, `{}`, `[]`, `{"name":5}`,
		`{"name":"a","name":"b"}`, `{"NAME":"a"}`, `{"name":"a"} {}`, `{"name":"\ud800"}`,
		`{"scopes":[1,2]}`, `{"metadata":{"a":null}}`, ``, `nul`, `{"description":"` + "\x00",
	} {
		f.Add([]byte(seed))
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		var req agentRequest
		err := decodeJSON(data, &req)
		if err == nil {
			var m map[string]json.RawMessage
			if json.Unmarshal(data, &m) != nil {
				t.Fatalf("accepted a body that is not a JSON object: %q", data)
			}
			for k := range m {
				if !jsonFields(typeOf(&req))[k] {
					t.Fatalf("accepted unknown member %q", k)
				}
			}
			return
		}
		var he *httpError
		if !errors.As(err, &he) || he.kind.status != 400 {
			t.Fatalf("refusal is not a 400 problem: %v", err)
		}
	})
}

func FuzzBearer(f *testing.F) {
	for _, seed := range []string{"", "Bearer x", "bearer  aidp.key_x.y", "Basic abc",
		"Bearer", "Bearer ", "BEARER aidp.adm_0.x"} {
		f.Add(seed)
	}

	f.Fuzz(func(t *testing.T, header string) {
		r := httptest.NewRequestWithContext(t.Context(), "GET", "/v1/org", nil)
		r.Header.Set("Authorization", header)
		key, err := bearer(r)
		if err == nil && key == "" {
			t.Fatalf("accepted an empty key from %q", header)
		}
	})
}

// typeOf returns the reflect type of v, as decodeJSON sees it.
func typeOf(v any) reflect.Type {
	return reflect.TypeOf(v)
}
