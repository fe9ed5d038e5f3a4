package egress

import (
	"crypto/x509"
	"net/http/httptest"
	"testing"
)

// x509pool returns a pool trusting srv's certificate.
func x509pool(t *testing.T, srv *httptest.Server) *x509.CertPool {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return pool
}
