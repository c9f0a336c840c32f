package front

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"
)

// TLSFailure reports whether err is the upstream's TLS refusing Sluice: an untrusted or invalid
// certificate, a demanded client certificate, an alert, a protocol it will not speak.
func TLSFailure(err error) bool {
	var (
		verify  *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		invalid x509.CertificateInvalidError
		host    x509.HostnameError
		alert   tls.AlertError
		record  tls.RecordHeaderError
	)
	if errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &invalid) || errors.As(err, &host) ||
		errors.As(err, &alert) || errors.As(err, &record) {
		return true
	}
	return strings.Contains(err.Error(), "tls: ")
}

// CompatReason says in both languages why a site broke under interception and what to do.
func CompatReason(host string, err error) (zh, en string) {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "certificate required") || strings.Contains(msg, "bad certificate") || strings.Contains(msg, "handshake failure"):
		return host + " 要求客户端证书（U 盾/数字证书），解密后无法出示；若该网站可信，请把它加入策略的 bypass.hosts",
			host + " asks for a client certificate, which cannot be presented through interception; if the site is trusted, add it to bypass.hosts in the policy"
	case strings.Contains(msg, "certificate") || strings.Contains(msg, "x509"):
		return host + " 的证书不被信任（" + msg + "）；若它使用内部根证书，请用 --upstream-ca 加入；若该网站可信且无法检查，请加入 bypass.hosts",
			host + "'s certificate is not trusted (" + msg + "); if it uses an internal root, add it with --upstream-ca; if the site is trusted and cannot be inspected, add it to bypass.hosts"
	}
	return host + " 在解密后无法建立 TLS 连接（" + msg + "）；若该网站可信，请把它加入 bypass.hosts",
		host + " refuses TLS through interception (" + msg + "); if the site is trusted, add it to bypass.hosts"
}
