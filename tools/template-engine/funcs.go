package main

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"sigs.k8s.io/yaml"
	"software.sslmate.com/src/go-pkcs12"
)

// Sprig functions left out: env and expandenv (ESO removes them) and getHostByName (a DNS
// lookup; a template reaches nothing outside its data).
var removed = []string{"env", "expandenv", "getHostByName"}

func funcMap() template.FuncMap {
	f := sprig.TxtFuncMap()
	for _, name := range removed {
		delete(f, name)
	}
	f["pkcs12key"] = func(archive string) (string, error) { return pkcs12Keys(archive, "") }
	f["pkcs12keyPass"] = func(password, archive string) (string, error) { return pkcs12Keys(archive, password) }
	f["pkcs12cert"] = func(archive string) (string, error) { return pkcs12Certs(archive, "") }
	f["pkcs12certPass"] = func(password, archive string) (string, error) { return pkcs12Certs(archive, password) }
	f["pemToPkcs12"] = func(cert, key string) (string, error) { return toPkcs12(cert, key, "", false) }
	f["pemToPkcs12Pass"] = func(cert, key, password string) (string, error) { return toPkcs12(cert, key, password, false) }
	f["fullPemToPkcs12"] = func(cert, key string) (string, error) { return toPkcs12(cert, key, "", true) }
	f["fullPemToPkcs12Pass"] = func(cert, key, password string) (string, error) { return toPkcs12(cert, key, password, true) }
	f["filterPEM"] = filterPEM
	f["jwkPublicKeyPem"] = jwkPublicKeyPem
	f["jwkPrivateKeyPem"] = jwkPrivateKeyPem
	f["toYaml"] = toYaml
	f["fromYaml"] = fromYaml
	return f
}

func pemString(blockType string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}))
}

func pkcs12Blocks(archive, password string) ([]*pem.Block, error) {
	blocks, err := pkcs12.ToPEM([]byte(archive), password)
	if err != nil {
		return nil, errors.New("not a PKCS#12 archive this password opens")
	}
	return blocks, nil
}

// pkcs12Keys returns every private key of the archive as PKCS#8 PEM.
func pkcs12Keys(archive, password string) (string, error) {
	blocks, err := pkcs12Blocks(archive, password)
	if err != nil {
		return "", err
	}
	var out strings.Builder
	for _, b := range blocks {
		if !strings.HasSuffix(b.Type, "PRIVATE KEY") {
			continue
		}
		// The block's label does not always say its encoding (an EC key can come labelled
		// PRIVATE KEY in SEC 1 form), so every encoding is tried.
		key, err := parsePrivateKey(b)
		if err != nil {
			return "", errors.New("the archive holds a private key that cannot be parsed")
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return "", errors.New("the archive's private key cannot be encoded as PKCS#8")
		}
		out.WriteString(pemString("PRIVATE KEY", der))
	}
	return out.String(), nil
}

// pkcs12Certs returns the archive's certificates as PEM, ordered leaf, intermediates, root
// when they form one chain; otherwise in the archive's order.
func pkcs12Certs(archive, password string) (string, error) {
	blocks, err := pkcs12Blocks(archive, password)
	if err != nil {
		return "", err
	}
	var certs []*x509.Certificate
	for _, b := range blocks {
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return "", errors.New("the archive holds a certificate that cannot be parsed")
		}
		certs = append(certs, c)
	}
	var out strings.Builder
	for _, c := range orderChain(certs) {
		out.WriteString(pemString("CERTIFICATE", c.Raw))
	}
	return out.String(), nil
}

func orderChain(certs []*x509.Certificate) []*x509.Certificate {
	if len(certs) < 2 {
		return certs
	}
	issues := func(parent, child *x509.Certificate) bool {
		return parent != child && bytes.Equal(parent.RawSubject, child.RawIssuer) && child.CheckSignatureFrom(parent) == nil
	}
	var leaves []*x509.Certificate
	for _, c := range certs {
		isIssuer := false
		for _, o := range certs {
			if issues(c, o) {
				isIssuer = true
				break
			}
		}
		if !isIssuer {
			leaves = append(leaves, c)
		}
	}
	if len(leaves) != 1 {
		return certs
	}
	chain := []*x509.Certificate{leaves[0]}
	for len(chain) < len(certs) {
		last := chain[len(chain)-1]
		var next *x509.Certificate
		for _, c := range certs {
			if issues(c, last) {
				next = c
				break
			}
		}
		if next == nil {
			return certs
		}
		chain = append(chain, next)
	}
	return chain
}

func toPkcs12(certPEM, keyPEM, password string, full bool) (string, error) {
	var certs []*x509.Certificate
	rest := []byte(certPEM)
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return "", errors.New("a certificate cannot be parsed")
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return "", errors.New("no certificate in the PEM input")
	}
	kb, _ := pem.Decode([]byte(keyPEM))
	if kb == nil {
		return "", errors.New("no private key in the PEM input")
	}
	key, err := parsePrivateKey(kb)
	if err != nil {
		return "", err
	}
	var ca []*x509.Certificate
	if full {
		ca = certs[1:]
	}
	archive, err := pkcs12.Modern.Encode(key, certs[0], ca, password)
	if err != nil {
		return "", errors.New("cannot build the PKCS#12 archive")
	}
	return base64.StdEncoding.EncodeToString(archive), nil
}

func parsePrivateKey(b *pem.Block) (any, error) {
	if k, err := x509.ParsePKCS8PrivateKey(b.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(b.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(b.Bytes); err == nil {
		return k, nil
	}
	return nil, errors.New("the private key cannot be parsed")
}

// filterPEM returns the input's PEM blocks of one type, in their order.
func filterPEM(blockType, input string) (string, error) {
	var out strings.Builder
	rest := []byte(input)
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type == blockType {
			out.Write(pem.EncodeToMemory(b))
		}
	}
	if out.Len() == 0 {
		return "", fmt.Errorf("no PEM block of type %q", blockType)
	}
	return out.String(), nil
}

func jwkRaw(text string) (any, error) {
	key, err := jwk.ParseKey([]byte(text))
	if err != nil {
		return nil, errors.New("not a JSON Web Key")
	}
	var raw any
	if err := key.Raw(&raw); err != nil {
		return nil, errors.New("the JSON Web Key has no usable key material")
	}
	return raw, nil
}

func jwkPublicKeyPem(text string) (string, error) {
	key, err := jwk.ParseKey([]byte(text))
	if err != nil {
		return "", errors.New("not a JSON Web Key")
	}
	pub, err := key.PublicKey()
	if err != nil {
		return "", errors.New("the JSON Web Key has no public key")
	}
	var raw any
	if err := pub.Raw(&raw); err != nil {
		return "", errors.New("the JSON Web Key has no usable key material")
	}
	der, err := x509.MarshalPKIXPublicKey(raw)
	if err != nil {
		return "", errors.New("the public key cannot be encoded as PKIX")
	}
	return pemString("PUBLIC KEY", der), nil
}

func jwkPrivateKeyPem(text string) (string, error) {
	raw, err := jwkRaw(text)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(raw)
	if err != nil {
		return "", errors.New("the JSON Web Key is not a private key that PKCS#8 can hold")
	}
	return pemString("PRIVATE KEY", der), nil
}

// toYaml returns "" when the value cannot be marshalled, as ESO documents; like Helm's, without
// the final newline.
func toYaml(v any) string {
	out, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(out), "\n")
}

func fromYaml(text string) (map[string]any, error) {
	m := map[string]any{}
	if err := yaml.Unmarshal([]byte(text), &m); err != nil {
		return nil, errors.New("not a YAML mapping")
	}
	return m, nil
}
