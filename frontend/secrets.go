package frontend

import (
	"github.com/appflowc/appflowc/config"
	"github.com/appflowc/appflowc/manifest"
)

// SecretDecls are the Secrets the config's infra entries declare (names and sources,
// never values): what apply.Secrets reads on the operator's machine.
func SecretDecls(cfg *config.Config) []manifest.SecretDecl {
	var out []manifest.SecretDecl
	for _, in := range cfg.Infra {
		if len(in.Secrets) == 0 {
			continue
		}
		d := manifest.SecretDecl{Name: in.Name, Namespace: in.Namespace, Labels: map[string]string{}}
		for _, l := range in.Labels {
			d.Labels[l.Name] = l.Value
		}
		for _, s := range in.Secrets {
			sec := manifest.Secret{Name: s.Name, Type: s.Type}
			for _, k := range s.Keys {
				sec.Keys = append(sec.Keys, manifest.SecretKey{Key: k.Key, FromEnv: k.FromEnv, FromFile: k.FromFile})
			}
			d.Secrets = append(d.Secrets, sec)
		}
		out = append(out, d)
	}
	return out
}
