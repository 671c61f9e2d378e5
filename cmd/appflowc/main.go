// Command appflowc compiles GitOps configs into Argo Workflows manifests.
package main

import (
	"os"

	"github.com/appflowc/appflowc/cmd/appflowc/cli"
)

func main() { os.Exit(cli.Main()) }
