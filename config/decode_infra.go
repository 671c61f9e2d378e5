package config

import (
	"strconv"
	"strings"
)

// The infra section: namespaces, ConfigMaps, Secret references and scripts.

func (d *decoder) infra(f *Field) *Infra {
	p := []string{"infra", f.Key}
	in := &Infra{Name: f.Key, Pos: f.KeyPos}
	d.entryName(f, p)
	n := f.Value
	if !d.fields(n, p, "namespace", "labels", "schedule", "configMaps", "secrets", "scripts") {
		return in
	}
	if v := n.Get("schedule"); v != nil {
		in.Schedule = d.schedule(v, append(p, "schedule"))
	}
	if v := d.required(n, p, "namespace", "name the namespace to provision"); v != nil {
		if s, ok := d.str(v, append(p, "namespace")); ok {
			d.label(v, append(p, "namespace"), s, 63)
			in.Namespace = s
		}
	}
	in.Labels = d.labels(n, p)
	if cms := n.Get("configMaps"); cms != nil && d.fieldsAny(cms, append(p, "configMaps")) {
		for _, cf := range cms.SortedFields() {
			cp := append(p, "configMaps", cf.Key)
			d.subdomain(&Node{Pos: cf.KeyPos}, cp, cf.Key)
			in.ConfigMaps = append(in.ConfigMaps, ConfigMap{Name: cf.Key, Data: d.strMap(cf.Value, cp, d.configKey)})
		}
	}
	if secs := n.Get("secrets"); secs != nil && d.fieldsAny(secs, append(p, "secrets")) {
		for _, sf := range secs.SortedFields() {
			in.Secrets = append(in.Secrets, d.secret(sf, append(p, "secrets", sf.Key)))
		}
	}
	if sc := n.Get("scripts"); sc != nil {
		if sc.Kind != List {
			d.errorf(sc, append(p, "scripts"), "write a list: [{name, image, command}, ...]", "expected a list, found %s", sc.display())
		} else {
			seen := map[string]bool{}
			for i, it := range sc.Items {
				s := d.script(it, append(p, "scripts", strconv.Itoa(i)))
				if seen[s.Name] && s.Name != "" {
					d.errorf(it.Get("name"), append(p, "scripts", strconv.Itoa(i), "name"), "script names must be unique", "duplicate script name %q", s.Name)
				}
				seen[s.Name] = true
				in.Scripts = append(in.Scripts, s)
			}
		}
	}
	return in
}

// reservedLabel: keys appflowc and Argo Workflows put on what they create.
func reservedLabel(k string) bool {
	return k == "app.kubernetes.io/managed-by" || strings.HasPrefix(k, "appflowc.dev/") || strings.HasPrefix(k, "workflows.argoproj.io/")
}

func (d *decoder) labelKey(n *Node, p []string, s string) {
	name := s
	if i := strings.LastIndex(s, "/"); i >= 0 {
		if !dnsSubdomain().MatchString(s[:i]) {
			d.errorf(n, p, "the prefix before '/' must be a DNS subdomain", "invalid label key %q", s)
			return
		}
		name = s[i+1:]
	}
	if len(name) == 0 || len(name) > 63 || !labelValue().MatchString(name) {
		d.errorf(n, p, "use at most 63 letters, digits, '-', '_' or '.', optionally prefixed by a DNS subdomain and '/'", "invalid label key %q", s)
	}
}

func (d *decoder) configKey(n *Node, p []string, s string) {
	if !configKey().MatchString(s) || len(s) > 253 {
		d.errorf(n, p, "use letters, digits, '-', '_' or '.'", "invalid ConfigMap key %q", s)
	}
}

func (d *decoder) secret(f *Field, p []string) SecretRef {
	s := SecretRef{Name: f.Key, Type: "Opaque"}
	d.subdomain(&Node{Pos: f.KeyPos}, p, f.Key)
	n := f.Value
	for _, bad := range []string{"data", "stringData", "value", "values"} {
		if v := n.Get(bad); v != nil {
			d.errorf(v, append(p, bad), "reference the value instead: keys: {KEY: {fromEnv: VAR}} or {fromFile: path}; appflowc reads it at apply time", "secret values must not be written in a config")
		}
	}
	if !d.fields(n, p, "type", "keys", "data", "stringData", "value", "values") {
		return s
	}
	if v := n.Get("type"); v != nil {
		if t, ok := d.str(v, append(p, "type")); ok {
			s.Type = t
			if !secretType().MatchString(t) {
				d.errorf(v, append(p, "type"), "use a Secret type such as Opaque or kubernetes.io/tls", "invalid Secret type %q", t)
			}
		}
	}
	keys := d.required(n, p, "keys", "declare each key and where its value comes from: keys: {password: {fromEnv: DB_PASSWORD}}")
	if keys == nil || !d.fieldsAny(keys, append(p, "keys")) {
		return s
	}
	if len(keys.Fields) == 0 {
		d.errorf(keys, append(p, "keys"), "declare at least one key", "no keys")
	}
	for _, kf := range keys.SortedFields() {
		kp := append(p, "keys", kf.Key)
		d.configKey(&Node{Pos: kf.KeyPos}, kp, kf.Key)
		k := SecretKey{Key: kf.Key}
		if !d.fields(kf.Value, kp, "fromEnv", "fromFile") {
			continue
		}
		env, file := kf.Value.Get("fromEnv"), kf.Value.Get("fromFile")
		switch {
		case env != nil && file != nil:
			d.errorf(file, append(kp, "fromFile"), "set fromEnv or fromFile, not both", "two sources for one key")
		case env == nil && file == nil:
			d.errorf(kf.Value, append(kp, "fromEnv"), "set fromEnv: VAR (an environment variable) or fromFile: path (a file on the operator's machine)", "missing value source")
		}
		if env != nil {
			if v, ok := d.str(env, append(kp, "fromEnv")); ok {
				if !envVarName().MatchString(v) {
					d.errorf(env, append(kp, "fromEnv"), "use an environment variable name such as DB_PASSWORD", "invalid environment variable name %q", v)
				}
				k.FromEnv = v
			}
		}
		if file != nil {
			if v, ok := d.str(file, append(kp, "fromFile")); ok {
				if !relativeInside(v) {
					d.errorf(file, append(kp, "fromFile"), "use a path relative to the config directory, without '..' (apply --secrets-dir DIR reads them from DIR instead)",
						"fromFile %q leaves the config directory", v)
				}
				k.FromFile = v
			}
		}
		s.Keys = append(s.Keys, k)
	}
	return s
}

// relativeInside reports whether p is a slash path that stays inside the directory it is
// relative to: not absolute, no ".." element, nothing empty.
func relativeInside(p string) bool {
	if p == "" || strings.HasPrefix(p, "/") || strings.ContainsRune(p, '\\') {
		return false
	}
	for _, e := range strings.Split(p, "/") {
		if e == ".." {
			return false
		}
	}
	return true
}

func (d *decoder) script(n *Node, p []string) Script {
	var s Script
	if !d.fields(n, p, "name", "image", "command", "args", "env") {
		return s
	}
	if v := d.required(n, p, "name", "name the script step"); v != nil {
		if x, ok := d.str(v, append(p, "name")); ok {
			d.label(v, append(p, "name"), x, 63)
			s.Name = x
		}
	}
	if v := d.required(n, p, "image", "set a pinned image: registry/repo:tag@sha256:<digest>"); v != nil {
		if x, ok := d.str(v, append(p, "image")); ok {
			d.image(v, append(p, "image"), x)
			s.Image = x
		}
	}
	noTemplate := func(n *Node, p []string, x string) {
		if strings.Contains(x, "{{") {
			d.policyf(n, p, "pass values through env (e.g. env: {TARGET: \"...\"}) and read $TARGET in the script", "Argo template expression in a command or argument would be spliced into the process arguments")
		}
	}
	if n.Get("command") == nil {
		d.errorf(n, append(p, "command"), "set the command to run, e.g. [\"sh\", \"-c\", \"...\"]", "missing required field")
	}
	s.Command = d.strList(n.Get("command"), append(p, "command"), noTemplate)
	s.Args = d.strList(n.Get("args"), append(p, "args"), noTemplate)
	s.Env = d.stringMap(n.Get("env"), append(p, "env"), func(n *Node, p []string, k string) {
		if !envVarName().MatchString(k) {
			d.errorf(n, p, "use an environment variable name such as TARGET", "invalid environment variable name %q", k)
		}
	}, `environment values are text: quote the value, e.g. "1"`)
	return s
}
