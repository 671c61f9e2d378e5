package apply

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/appflowc/appflowc/internal/confine"
	"github.com/appflowc/appflowc/manifest"
)

// SecretSource reads secret values on the operator's machine. Tests inject their own.
type SecretSource struct {
	LookupEnv func(string) (string, bool)
	// ReadFile reads a fromFile path (relative: the config refuses others).
	ReadFile func(string) ([]byte, error)
}

// maxSecretFile bounds a fromFile read: a Secret holds at most 1 MiB in all.
const maxSecretFile = 1 << 20

// OSSecretSource reads the process environment and the files under dir (the config's
// directory, or apply --secrets-dir): confined to dir, so that a config cannot name a
// file elsewhere (a CI runner's keys, /proc/self/environ), regular files only, at most
// 1 MiB each.
func OSSecretSource(dir string) SecretSource {
	return SecretSource{LookupEnv: os.LookupEnv, ReadFile: func(name string) ([]byte, error) {
		root, err := confine.Open(dir)
		if err != nil {
			return nil, err
		}
		defer root.Close()
		return confine.ReadFile(root, name, maxSecretFile)
	}}
}

// Secrets builds the Secrets that infra entries declare (manifest.SecretsOf), with each
// value read from its declared source, plus the namespaces they live in. It checks every
// source before returning, so that nothing is applied when one is missing. Errors name
// the key and the source, never a value.
func Secrets(decls []manifest.SecretDecl, src SecretSource) ([]manifest.Object, error) {
	var objs []manifest.Object
	var missing []string
	for _, in := range decls {
		labels := map[string]string{manifest.LabelManagedBy: manifest.ManagedBy}
		for k, v := range in.Labels {
			labels[k] = v
		}
		objs = append(objs, manifest.Object{APIVersion: "v1", Kind: "Namespace", Name: in.Namespace, Entry: "infra." + in.Name,
			Obj: &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: metav1.ObjectMeta{Name: in.Namespace, Labels: labels}}})
		for _, s := range in.Secrets {
			data := map[string][]byte{}
			for _, k := range s.Keys {
				where := fmt.Sprintf("infra.%s.secrets.%s.keys.%s", in.Name, s.Name, k.Key)
				switch {
				case k.FromEnv != "":
					v, ok := src.LookupEnv(k.FromEnv)
					if !ok {
						missing = append(missing, fmt.Sprintf("%s: environment variable %s is not set", where, k.FromEnv))
						continue
					}
					data[k.Key] = []byte(v)
				default:
					v, err := src.ReadFile(path.Clean(k.FromFile))
					if err != nil {
						missing = append(missing, fmt.Sprintf("%s: cannot read %s: %v", where, k.FromFile, unwrap(err)))
						continue
					}
					data[k.Key] = v
				}
			}
			sec := &corev1.Secret{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
				ObjectMeta: metav1.ObjectMeta{Name: s.Name, Namespace: in.Namespace, Labels: map[string]string{manifest.LabelManagedBy: manifest.ManagedBy}},
				Type:       corev1.SecretType(s.Type), Data: data}
			objs = append(objs, manifest.Object{APIVersion: "v1", Kind: "Secret", Namespace: in.Namespace, Name: s.Name, Entry: "infra." + in.Name, Obj: sec})
		}
	}
	if len(missing) > 0 {
		return nil, missingSecrets(missing)
	}
	return objs, nil
}

// missingSecrets lists the secret values that could not be read, one per line.
type missingSecrets []string

func (m missingSecrets) Error() string {
	return "secret values not available (nothing was applied):\n  " + strings.Join(m, "\n  ")
}

// Lines marks the error as a list that prints a line per item.
func (m missingSecrets) Lines() []string { return m }

func unwrap(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
