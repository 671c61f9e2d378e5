// Package config loads a user's config files (CUE, YAML, JSON, Jsonnet) into one positioned tree,
// unifies them, and decodes and validates the result into the typed Config that render consumes.
package config
