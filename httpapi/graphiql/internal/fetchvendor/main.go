// Command fetchvendor puts the browser files GraphiQL runs on (React,
// ReactDOM, GraphiQL's own bundle and stylesheet) into assets/vendor, from
// the pinned npm packages, so that the server embeds them and GraphiQL
// works without reaching any other site.
//
// It runs from the graphiql package's directory (go generate does that).
// When assets/vendor/SOURCES already names the pinned packages and every
// file it lists still has its recorded SHA-256, it does nothing, offline;
// otherwise it fetches each package with npm pack, refuses a tarball whose
// integrity is not the pinned one, and extracts the files below. To move
// to another version, change its pin (npm view PACKAGE@VERSION
// dist.integrity prints the integrity) and run go generate.
package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// pin is one npm package at one version, and the files taken from it:
// the path in the package's tarball, by the name it is served under.
type pin struct {
	name, version, integrity string
	files                    map[string]string
}

// React 18 is the last with browser builds (UMD), which GraphiQL 4's
// bundle expects as globals; GraphiQL 5 needs a bundler or a CDN's module
// rewriting.
var pins = []pin{
	{"react", "18.3.1", "sha512-wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ==",
		map[string]string{"react.production.min.js": "umd/react.production.min.js", "react.LICENSE": "LICENSE"}},
	{"react-dom", "18.3.1", "sha512-5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw==",
		map[string]string{"react-dom.production.min.js": "umd/react-dom.production.min.js", "react-dom.LICENSE": "LICENSE"}},
	{"graphiql", "4.1.2", "sha512-rNlzQIAzm6i2KBXmVQWBgLvt0TloxFVB2d18bukvdsvjEuFDHsKx5IVOomL1W1o5WW+tE54+ioHb2AEKzO2cUg==",
		map[string]string{"graphiql.min.js": "graphiql.min.js", "graphiql.min.css": "graphiql.min.css", "graphiql.LICENSE": "LICENSE"}},
}

const dir = "assets/vendor"

func main() {
	log.SetFlags(0)
	log.SetPrefix("fetchvendor: ")
	if current() {
		return
	}
	tmp, err := os.MkdirTemp("", "fetchvendor")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	files := map[string][]byte{}
	for _, p := range pins {
		if err := p.fetch(tmp, files); err != nil {
			log.Fatalf("%s@%s: %v", p.name, p.version, err)
		}
	}
	if err := write(files); err != nil {
		log.Fatal(err)
	}
}

// header is the first lines of SOURCES: the pins it was made from.
func header() string {
	var b strings.Builder
	b.WriteString("# Written by internal/fetchvendor (go generate) from these npm packages; do not edit.\n")
	for _, p := range pins {
		fmt.Fprintf(&b, "%s@%s %s\n", p.name, p.version, p.integrity)
	}
	return b.String()
}

// current reports whether assets/vendor holds what the pins give.
func current() bool {
	raw, err := os.ReadFile(filepath.Join(dir, "SOURCES"))
	if err != nil || !bytes.HasPrefix(raw, []byte(header())) {
		return false
	}
	sums := bufio.NewScanner(bytes.NewReader(raw[len(header()):]))
	for sums.Scan() {
		sum, name, ok := strings.Cut(sums.Text(), "  ")
		if !ok {
			return false
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || digest(b) != sum {
			return false
		}
	}
	return true
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// fetch packs the package with npm (its cache, its registry) and takes
// its files.
func (p pin) fetch(tmp string, into map[string][]byte) error {
	cmd := exec.Command("npm", "pack", "--json", "--pack-destination", tmp, p.name+"@"+p.version)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("npm pack: %w", err)
	}
	var packed []struct{ Filename, Integrity string }
	if err := json.Unmarshal(out, &packed); err != nil || len(packed) != 1 {
		return fmt.Errorf("npm pack printed %q", out)
	}
	if packed[0].Integrity != p.integrity {
		return fmt.Errorf("integrity %s, pinned %s", packed[0].Integrity, p.integrity)
	}
	f, err := os.Open(filepath.Join(tmp, packed[0].Filename))
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	want := map[string]string{}
	for served, path := range p.files {
		want["package/"+path] = served
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		served, ok := want[h.Name]
		if !ok {
			continue
		}
		if into[served], err = io.ReadAll(tr); err != nil {
			return err
		}
		delete(want, h.Name)
	}
	if len(want) > 0 {
		return fmt.Errorf("the package lacks %v", want)
	}
	return nil
}

// write replaces assets/vendor with files, and SOURCES, which lists them
// with their SHA-256.
func write(files map[string][]byte) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var sources strings.Builder
	sources.WriteString(header())
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(dir, name), files[name], 0o644); err != nil {
			return err
		}
		fmt.Fprintf(&sources, "%s  %s\n", digest(files[name]), name)
	}
	return os.WriteFile(filepath.Join(dir, "SOURCES"), []byte(sources.String()), 0o644)
}
