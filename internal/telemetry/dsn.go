package telemetry

import (
	"log/slog"
	"net/url"
	"regexp"
	"strings"
)

// DSN is a database connection string that logs without its password:
// slog.Any("store", telemetry.DSN(url)).
type DSN string

// LogValue implements slog.LogValuer.
func (d DSN) LogValue() slog.Value { return slog.StringValue(RedactDSN(string(d))) }

// String returns the DSN without its password, so fmt cannot leak it
// either.
func (d DSN) String() string { return RedactDSN(string(d)) }

// dsnPassword is the placeholder written where a password was.
const dsnPassword = "REDACTED"

// secretParams are connection parameters whose values are secrets.
var secretParams = []string{"password", "sslpassword"}

// kvSecret matches a secret in the keyword/value form of a libpq
// connection string, quoted or not.
var kvSecret = regexp.MustCompile(`(?i)\b(password|sslpassword)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)`)

// RedactDSN returns dsn with every password replaced, in both the URL form
// (postgres://user:pw@host/db?sslpassword=...) and the keyword/value form
// (host=h password=pw). A URL it cannot parse comes back as a placeholder.
func RedactDSN(dsn string) string {
	if !strings.Contains(dsn, "://") {
		return kvSecret.ReplaceAllString(dsn, "$1="+dsnPassword)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "[unparseable DSN]"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), dsnPassword)
	}
	q := u.Query()
	changed := false
	for k := range q {
		for _, p := range secretParams {
			if strings.EqualFold(k, p) {
				q.Set(k, dsnPassword)
				changed = true
			}
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// urlPassword matches the password of a URL's userinfo inside free text.
var urlPassword = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*):[^@/\s]*@`)

// redactURLPasswords replaces the passwords of URLs quoted in s, such as
// a connection URL inside a driver's error message.
func redactURLPasswords(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	return urlPassword.ReplaceAllString(s, "${1}:"+dsnPassword+"@")
}
