package deliver

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/research-cli/research/config"
)

// Env reads the environment; tests pass their own.
type Env func(string) (string, bool)

// FromConfig builds the targets of the config's digest section, reading
// secrets from the environment or the files it names. Every target is built
// (and every problem reported) before anything is delivered.
func FromConfig(ts []config.DigestTarget, env Env, userAgent string) ([]Target, error) {
	if env == nil {
		env = os.LookupEnv
	}
	var out []Target
	var errs []error
	for _, t := range ts {
		tg, err := fromConfig(t, env, userAgent)
		if err != nil {
			errs = append(errs, fmt.Errorf("digest target %s: %w", t.Name, err))
			continue
		}
		out = append(out, tg)
	}
	return out, errors.Join(errs...)
}

func expandHome(p string, env Env) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, ok := env("HOME"); ok && home != "" {
			return filepath.Join(home, rest)
		}
	}
	return p
}

func fromConfig(t config.DigestTarget, env Env, userAgent string) (Target, error) {
	switch t.Kind {
	case config.TargetEmail:
		e := &Email{TargetName: t.Name, Host: t.Host, Port: t.Port, Security: t.Security, Auth: t.Auth,
			Username: t.Username, From: t.From, To: t.To, Timeout: t.Timeout}
		switch {
		case t.PasswordEnv != "":
			v, ok := env(t.PasswordEnv)
			if !ok || v == "" {
				return nil, fmt.Errorf("the password variable %s is not set", t.PasswordEnv)
			}
			e.Password = v
		case t.PasswordFile != "":
			p, err := readSecretFile(expandHome(t.PasswordFile, env))
			if err != nil {
				return nil, err
			}
			e.Password = p
		}
		if t.CAFile != "" {
			pem, err := os.ReadFile(expandHome(t.CAFile, env))
			if err != nil {
				return nil, fmt.Errorf("ca_file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("ca_file %s: no PEM certificate in it", t.CAFile)
			}
			e.TLSConfig = &tls.Config{RootCAs: pool}
		}
		return e, nil
	case config.TargetWebhook:
		w := &Webhook{TargetName: t.Name, URL: t.URL, Slack: t.Payload == "slack", Timeout: t.Timeout, UserAgent: userAgent}
		if t.SecretEnv != "" {
			v, ok := env(t.SecretEnv)
			if !ok || v == "" {
				return nil, fmt.Errorf("the secret variable %s is not set", t.SecretEnv)
			}
			w.Secret = []byte(v)
		}
		return w, nil
	case config.TargetFile:
		return &File{TargetName: t.Name, Dir: expandHome(t.Dir, env), Format: t.Format}, nil
	}
	return nil, fmt.Errorf("unknown kind %q", t.Kind)
}

// readSecretFile reads the first line of a secret file, refusing one that
// others may read (a password file must be 0600 or stricter).
func readSecretFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("password_file: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("password_file %s is readable by others (mode %o): chmod 600 it", path, fi.Mode().Perm())
	}
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return "", fmt.Errorf("password_file %s: %w", path, err)
		}
		return "", fmt.Errorf("password_file %s is empty", path)
	}
	p := strings.TrimRight(sc.Text(), "\r")
	if p == "" {
		return "", fmt.Errorf("password_file %s: the first line is empty", path)
	}
	return p, nil
}
