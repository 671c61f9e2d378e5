package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"sigs.k8s.io/yaml"

	"github.com/appflowc/appflowc/manifest"
)

// maxIndexBytes bounds a Helm repository index read by --check-sources.
const maxIndexBytes = 64 << 20

// checkSources probes what the Workflows deploy from: a Helm repository's index must list
// the chart and a version that satisfies the target revision; a Git remote over https must
// answer the smart-HTTP discovery; an OCI registry must answer /v2/. ssh remotes are not
// probed (no credentials here).
func checkSources(ctx context.Context, hc *http.Client, objs []manifest.Object, fields map[int]map[string]any) []Problem {
	if hc == nil {
		hc = &http.Client{}
	}
	// The URLs come from the config (untrusted): a probe may follow a redirect only to
	// https, never down to plain http (a cloud metadata endpoint, a local service).
	probe := *hc
	next := hc.CheckRedirect
	probe.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != "https" {
			return fmt.Errorf("refusing to follow a redirect to %s (not https)", req.URL.Redacted())
		}
		if len(via) >= 5 {
			return errors.New("more than 5 redirects")
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	hc = &probe
	var probs []Problem
	for _, s := range workflowSources(objs, fields) {
		if p := checkSource(ctx, hc, s); p != nil {
			probs = append(probs, *p)
		}
	}
	return probs
}

func checkSource(ctx context.Context, hc *http.Client, s source) *Problem {
	u, err := url.Parse(s.repo)
	if err != nil {
		return &Problem{What: fmt.Sprintf("source %s is not a URL: %v", s.repo, err), Fix: "fix repoURL"}
	}
	switch {
	case u.Scheme == "oci":
		_, p := fetch(ctx, hc, "https://"+u.Host+"/v2/", s.repo, http.StatusOK, http.StatusUnauthorized)
		return p
	case u.Scheme != "https" && u.Scheme != "http":
		return nil
	case s.kind == "path":
		_, p := fetch(ctx, hc, strings.TrimSuffix(s.repo, "/")+"/info/refs?service=git-upload-pack", s.repo, http.StatusOK)
		return p
	}
	body, p := fetch(ctx, hc, strings.TrimSuffix(s.repo, "/")+"/index.yaml", s.repo, http.StatusOK)
	if p != nil {
		return p
	}
	var index struct {
		Entries map[string][]struct {
			Version string `json:"version"`
		} `json:"entries"`
	}
	if err := yaml.Unmarshal(body, &index); err != nil {
		return &Problem{What: fmt.Sprintf("Helm repository %s: index.yaml does not parse: %v", s.repo, err), Fix: "check repoURL points at a Helm repository"}
	}
	versions, ok := index.Entries[s.chart]
	if !ok {
		return &Problem{What: fmt.Sprintf("Helm repository %s has no chart %q", s.repo, s.chart), Fix: "check chart and repoURL"}
	}
	if s.revision == "" || s.revision == "HEAD" {
		return nil
	}
	want, err := semver.NewConstraint(s.revision)
	if err != nil {
		return nil // vet already checked the revision; a non-semver tag is matched exactly by Argo CD
	}
	for _, v := range versions {
		if sv, err := semver.NewVersion(v.Version); err == nil && want.Check(sv) {
			return nil
		}
	}
	return &Problem{What: fmt.Sprintf("Helm repository %s has no version of %s matching %s", s.repo, s.chart, s.revision), Fix: "pick an existing targetRevision (helm search repo --versions)"}
}

// sourceTimeout bounds each probe of a source, body included.
const sourceTimeout = 30 * time.Second

// fetch GETs target and returns its body when the status is one of ok.
func fetch(ctx context.Context, hc *http.Client, target, repo string, ok ...int) ([]byte, *Problem) {
	// Every probe has a deadline, as every request to the cluster has.
	ctx, cancel := context.WithTimeout(ctx, sourceTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, &Problem{What: fmt.Sprintf("source %s: %v", repo, err), Fix: "fix repoURL"}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, &Problem{What: fmt.Sprintf("source %s is unreachable: %v", repo, err), Fix: "check the URL and your network or proxy"}
	}
	defer resp.Body.Close()
	if !slices.Contains(ok, resp.StatusCode) {
		return nil, &Problem{What: fmt.Sprintf("source %s answered %s for %s", repo, resp.Status, target), Fix: "check the URL and credentials"}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxIndexBytes))
	if err != nil {
		return nil, &Problem{What: fmt.Sprintf("source %s: %v", repo, err), Fix: "retry, or check the network"}
	}
	return body, nil
}
