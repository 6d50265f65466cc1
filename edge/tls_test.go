package edge_test

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/peeredge/peeredge/edge"
	"github.com/peeredge/peeredge/edge/edgetest"
)

// A renewal replacing the files is served after the next look at them
// a broken pair keeps the current certificate; a bad pair at start is an
// error.
func TestCertFilesRenewal(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certPath, keyPath := edgetest.WriteCert(t, dir, 1)
	cf, err := edge.LoadCertFiles(certPath, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	serial := func() int64 {
		t.Helper()
		c, err := cf.GetCertificate(nil)
		if err != nil || c == nil {
			t.Fatalf("GetCertificate: %v", err)
		}
		x, err := x509.ParseCertificate(c.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		return x.SerialNumber.Int64()
	}
	if s := serial(); s != 1 {
		t.Fatalf("serial %d, want 1", s)
	}

	edgetest.WriteCert(t, dir, 2)
	future := time.Now().Add(time.Second) // a new modification time even on coarse clocks
	for _, p := range []string{certPath, keyPath} {
		if err := os.Chtimes(p, future, future); err != nil {
			t.Fatal(err)
		}
	}
	if s := serial(); s != 1 {
		t.Fatalf("serial %d before the next look, want 1", s)
	}
	if err := cf.Reload(); err != nil {
		t.Fatal(err)
	}
	if s := serial(); s != 2 {
		t.Fatalf("serial %d after the renewal, want 2", s)
	}

	if err := os.WriteFile(keyPath, []byte("half-written"), 0o600); err != nil {
		t.Fatal(err)
	}
	later := future.Add(time.Second)
	if err := os.Chtimes(keyPath, later, later); err != nil {
		t.Fatal(err)
	}
	if err := cf.Reload(); err == nil {
		t.Fatal("a broken key file reloaded")
	}
	if s := serial(); s != 2 {
		t.Fatalf("serial %d with a broken key file, want 2 still", s)
	}
	if _, err := edge.LoadCertFiles(certPath, keyPath); err == nil {
		t.Fatal("a broken pair loaded at start")
	}
	if _, err := edge.LoadCertFiles(filepath.Join(dir, "missing.pem"), keyPath); err == nil {
		t.Fatal("a missing certificate loaded at start")
	}
}
