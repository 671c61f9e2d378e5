// Package apply takes rendered objects to a cluster: server-side apply in dependency
// order, Workflows created, and one watch that follows them to the end.
package apply
