package edge

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"sync"
	"time"
)

// edgeConn is the edge's own connection under nc, also when TLS wraps it.
func edgeConn(nc net.Conn) (*conn, bool) {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	c, ok := nc.(*conn)
	return c, ok
}

// CertFiles serves a certificate and key from PEM files and picks up a
// renewal (certbot and the like replace the files) without a restart: the
// files are looked at again at most once a minute.
type CertFiles struct {
	certPath, keyPath string

	mu      sync.Mutex
	cert    *tls.Certificate
	modTime time.Time // newer of the two files' when cert was loaded
	checked time.Time
}

// certRecheck is how often the files are looked at for a renewal.
const certRecheck = time.Minute

// LoadCertFiles loads the pair once, so that a bad pair stops the node at
// start rather than at the first handshake.
func LoadCertFiles(certPath, keyPath string) (*CertFiles, error) {
	cf := &CertFiles{certPath: certPath, keyPath: keyPath}
	if err := cf.load(time.Now()); err != nil {
		return nil, err
	}
	return cf, nil
}

func (cf *CertFiles) load(now time.Time) error {
	mod, err := cf.newestModTime()
	if err != nil {
		return err
	}
	cert, err := tls.LoadX509KeyPair(cf.certPath, cf.keyPath)
	if err != nil {
		return fmt.Errorf("TLS certificate %s and key %s: %w", cf.certPath, cf.keyPath, err)
	}
	cf.cert, cf.modTime, cf.checked = &cert, mod, now
	return nil
}

func (cf *CertFiles) newestModTime() (time.Time, error) {
	var newest time.Time
	for _, p := range []string{cf.certPath, cf.keyPath} {
		fi, err := os.Stat(p)
		if err != nil {
			return time.Time{}, fmt.Errorf("TLS: %w", err)
		}
		if fi.ModTime().After(newest) {
			newest = fi.ModTime()
		}
	}
	return newest, nil
}

// GetCertificate is tls.Config.GetCertificate. A renewal that does not
// load (a half-written pair, say) keeps the current certificate in use;
// the next look tries again.
func (cf *CertFiles) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	cf.mu.Lock()
	defer cf.mu.Unlock()
	now := time.Now()
	if now.Sub(cf.checked) >= certRecheck {
		cf.checked = now
		if mod, err := cf.newestModTime(); err == nil && !mod.Equal(cf.modTime) {
			_ = cf.load(now)
		}
	}
	return cf.cert, nil
}

// Reload loads the files again now (a SIGHUP, a test). On an error the
// current certificate stays in use.
func (cf *CertFiles) Reload() error {
	cf.mu.Lock()
	defer cf.mu.Unlock()
	return cf.load(time.Now()) // assigns only what loaded
}

// TLSConfig is the edge's TLS setup for certificates from cf: TLS 1.2 and
// up, HTTP/1.1 only (fasthttp speaks no HTTP/2).
func (cf *CertFiles) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		NextProtos:     []string{"http/1.1"},
		GetCertificate: cf.GetCertificate,
	}
}
