// Independent X.509 path verification with Go's crypto/x509 (stdlib only), for the tests:
// x509verify -roots roots.pem [-intermediates chain.pem] -leaf leaf.pem [-usage client|any]
// Exit 0 and "OK" when Verify builds a chain; exit 1 with Go's error otherwise.
package main

import (
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"os"
)

func readCerts(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		// ParseCertificate is strict DER: malformed encodings fail here.
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s: no certificate", path)
	}
	return certs, nil
}

func main() {
	rootsPath := flag.String("roots", "", "trusted roots (PEM)")
	intermediatesPath := flag.String("intermediates", "", "intermediates (PEM)")
	leafPath := flag.String("leaf", "", "certificate to verify (PEM)")
	usage := flag.String("usage", "any", "client or any")
	flag.Parse()

	fail := func(err error) {
		fmt.Println(err)
		os.Exit(1)
	}
	roots := x509.NewCertPool()
	rootCerts, err := readCerts(*rootsPath)
	if err != nil {
		fail(err)
	}
	for _, c := range rootCerts {
		roots.AddCert(c)
	}
	intermediates := x509.NewCertPool()
	if *intermediatesPath != "" {
		ic, err := readCerts(*intermediatesPath)
		if err != nil {
			fail(err)
		}
		for _, c := range ic {
			intermediates.AddCert(c)
		}
	}
	leaves, err := readCerts(*leafPath)
	if err != nil {
		fail(err)
	}
	opts := x509.VerifyOptions{Roots: roots, Intermediates: intermediates, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
	if *usage == "client" {
		opts.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	chains, err := leaves[0].Verify(opts)
	if err != nil {
		fail(err)
	}
	fmt.Printf("OK %d\n", len(chains[0]))
}
