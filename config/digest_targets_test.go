package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDigestTargets(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantErr []string
	}{
		{name: "every kind, valid", yaml: `
digest:
  targets:
    - {name: inbox, kind: email, host: smtp.example.org, security: tls, auth: login, username: u,
       password_env: PW, from: r@example.org, to: [me@example.org]}
    - {name: hook, kind: webhook, url: "https://hooks.example.org/x", payload: slack, secret_env: S}
    - {name: archive, kind: file, dir: ~/digests, format: html}
`},
		{name: "a password in the file is refused", yaml: `
digest:
  targets:
    - {name: inbox, kind: email, host: h, username: u, password: hunter2, from: r@example.org, to: [me@example.org]}
`, wantErr: []string{"line 4: digest.targets[0].password: a password is never stored in the config", "password_env"}},
		{name: "each kind's fields", yaml: `
digest:
  targets:
    - {name: inbox, kind: email, security: ssl, from: nobody, to: []}
    - {name: hook, kind: webhook, url: "ftp://x", payload: xml}
    - {name: hook, kind: file, format: pdf}
    - {name: stdout, kind: pigeon}
`, wantErr: []string{"digest.targets[0].host: is required", `digest.targets[0].security: "ssl" is not starttls, tls or none`,
			"digest.targets[0].from: must be an address", "digest.targets[0].to: list at least one recipient",
			`digest.targets[1].url: "ftp://x" is not an http(s) URL`, `digest.targets[1].payload: "xml" is not json or slack`,
			`digest.targets[2].name: "hook" is already used by digest.targets[1]`, "digest.targets[2].dir: is required",
			`digest.targets[2].format: "pdf"`, `digest.targets[3].name: "stdout" is the built-in target`,
			`digest.targets[3].kind: "pigeon" is not one of email, webhook, file`}},
		{name: "a username needs a password source, not two", yaml: `
digest:
  targets:
    - {name: a, kind: email, host: h, username: u, from: r@example.org, to: [me@example.org]}
    - {name: b, kind: email, host: h, username: u, password_env: P, password_file: f, from: r@example.org, to: [me@example.org]}
`, wantErr: []string{"digest.targets[0].password_env: a username needs a password", "digest.targets[1].password_file: give password_env or password_file, not both"}},
		{name: "plain SMTP only to this machine, without a password", yaml: `
digest:
  targets:
    - {name: local, kind: email, host: localhost, security: none, from: r@example.org, to: [me@example.org]}
    - {name: far, kind: email, host: smtp.example.org, security: none, username: u, password_env: P, from: r@example.org, to: [me@example.org]}
`, wantErr: []string{`digest.targets[1].security: none (plain SMTP) is only for a mail server on this machine (localhost), not "smtp.example.org"`,
			"digest.targets[1].username: no password is sent over plain SMTP"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("digest.yaml", []byte(tt.yaml))
			if len(tt.wantErr) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, w := range tt.wantErr {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}
