package did

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
)

// Paths of the documents the deployment publishes, relative to the issuer
// URL (did:web method specification, section 3.2).
const (
	PathDeploymentDocument = "/.well-known/did.json"
	pathDocument           = "/did.json"
	// agentSegment is the path segment under which agents' DIDs live:
	// did:web:<host>:agents:<id>.
	agentSegment = "agents"
)

// maxWebSegments bounds the path segments of a did:web identifier.
const maxWebSegments = 16

// HostID returns the did:web method-specific id of an issuer URL's host:
// the host in lower case with the port separator percent-encoded
// (did:web section 3.1), e.g. idp.example.com%3A8443.
func HostID(issuerURL string) (string, error) {
	u, err := url.Parse(issuerURL)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("parse issuer url: not an absolute URL")
	}
	return strings.ReplaceAll(strings.ToLower(u.Host), ":", "%3A"), nil
}

// DeploymentDID returns the DID of the deployment whose did:web host id
// (HostID) is hostID: did:web:<host>.
func DeploymentDID(hostID string) string {
	return "did:web:" + hostID
}

// AgentDID returns the DID of an agent of the deployment whose did:web
// host id is hostID: did:web:<host>:agents:<id>. Tokens carry it in
// agent_did.
func AgentDID(hostID, agentID string) string {
	return "did:web:" + hostID + ":" + agentSegment + ":" + agentID
}

// webDID is a did:web identifier taken apart.
type webDID struct {
	// hostID is the first colon-separated part, still encoded.
	hostID string
	// host is hostID decoded: host or host:port.
	host string
	// path is the decoded segments after the host.
	path []string
}

// parseWeb takes a did:web identifier apart (did:web section 3.2).
func parseWeb(d DID) (webDID, error) {
	parts := strings.Split(d.ID, ":")
	if len(parts) > maxWebSegments+1 {
		return webDID{}, fmt.Errorf("%w: more than %d path segments", ErrInvalidDID,
			maxWebSegments)
	}
	w := webDID{hostID: parts[0]}

	host, err := url.PathUnescape(parts[0])
	if err != nil {
		return webDID{}, fmt.Errorf("%w: host is badly percent-encoded", ErrInvalidDID)
	}
	if err := checkWebHost(host); err != nil {
		return webDID{}, err
	}
	w.host = host

	for _, p := range parts[1:] {
		seg, err := url.PathUnescape(p)
		if err != nil || seg == "" || seg == "." || seg == ".." ||
			strings.ContainsAny(seg, "/?#\\") || strings.ContainsFunc(seg, unicode.IsControl) {
			return webDID{}, fmt.Errorf("%w: bad path segment", ErrInvalidDID)
		}
		w.path = append(w.path, seg)
	}
	return w, nil
}

// checkWebHost refuses a did:web host that is not a host name or IPv4
// address with an optional port.
func checkWebHost(host string) error {
	name, port, hasPort := strings.Cut(host, ":")
	bad := func(why string) error { return fmt.Errorf("%w: host %s", ErrInvalidDID, why) }
	switch {
	case name == "" || len(name) > 253:
		return bad("must be a name of 1 to 253 characters")
	case hasPort && !validPort(port):
		return bad("has a bad port")
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return bad("must be a DNS name")
		}
		for _, c := range []byte(label) {
			if !isLower(c) && !isUpper(c) && !isDigit(c) && c != '-' {
				return bad("must be a DNS name")
			}
		}
	}
	return nil
}

func validPort(p string) bool {
	if p == "" || len(p) > 5 {
		return false
	}
	n := 0
	for _, c := range []byte(p) {
		if !isDigit(c) {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n > 0 && n <= 65535
}

// documentURL returns where the document of a did:web lives: https, the
// host, then /.well-known/did.json or /<path>/did.json.
func (w webDID) documentURL() string {
	u := url.URL{Scheme: "https", Host: w.host, Path: PathDeploymentDocument}
	if len(w.path) > 0 {
		u.Path = "/" + strings.Join(w.path, "/") + pathDocument
	}
	return u.String()
}
