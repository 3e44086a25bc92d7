// Command mmserver pins the Mattermost server module for Leitstelle's
// end-to-end tests. It is never run: build.sh builds the server command
// of the pinned module, and this blank import lets the Go tool resolve
// every dependency of that command in this module's go.sum.
package main

import (
	_ "github.com/mattermost/mattermost/server/v8/cmd/mattermost/commands"
)

func main() {}
