// Package examples embeds the example agreements, so that pactwatch can run
// a demonstration without any file or flag.
package examples

import (
	"embed"
	"io/fs"
)

//go:embed ukraine
var files embed.FS

// Ukraine is the folder examples/ukraine: agreement.yaml, its zone files
// under zones/, and the DEMO-ONLY keys under keys/ (see keys/README.md).
var Ukraine fs.FS

func init() {
	sub, err := fs.Sub(files, "ukraine")
	if err != nil {
		panic(err) // the embed directive guarantees the folder
	}
	Ukraine = sub
}
